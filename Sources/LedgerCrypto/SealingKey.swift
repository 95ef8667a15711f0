import CSodium

/// A 256-bit key for XChaCha20-Poly1305 (IETF construction, 192-bit nonces): long nonces are
/// safe to draw at random, so a key can seal any number of messages without a counter (the
/// keystore seals each key file's seed under one from `Argon2id.deriveKey`).
///
/// The key bytes live in a class and are zeroed with `sodium_memzero` when the last copy goes away.
public struct SealingKey: Sendable {
    /// Number of bytes in a key.
    public static let byteCount = 32
    /// Number of bytes in a nonce.
    public static let nonceByteCount = 24
    /// Number of bytes the authentication tag adds to every sealed message.
    public static let tagByteCount = 16

    private let secret: SecretBytes

    /// Wraps exactly 32 key bytes.
    public init<Bytes: Collection>(bytes: Bytes) throws(CryptoError) where Bytes.Element == UInt8 {
        guard bytes.count == SealingKey.byteCount else {
            throw .invalidLength(what: "sealing key", expected: SealingKey.byteCount, actual: bytes.count)
        }
        Sodium.ensureReady()
        secret = SecretBytes(Array(bytes))
    }

    /// Seals `plaintext` under a fresh random nonce; returns the nonce and ciphertext ‖ tag.
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8]) -> (nonce: [UInt8], ciphertext: [UInt8]) {
        let nonce = SecureRandom.bytes(count: SealingKey.nonceByteCount)
        // The nonce has the right length by construction, so sealing cannot throw.
        return (nonce, try! seal(plaintext, nonce: nonce, associatedData: associatedData))
    }

    /// Seals `plaintext` under `nonce` (24 bytes; never reuse one with the same key); returns
    /// ciphertext ‖ tag. For known-answer tests and callers that own nonce uniqueness.
    public func seal(_ plaintext: [UInt8], nonce: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard nonce.count == SealingKey.nonceByteCount else {
            throw .invalidLength(what: "XChaCha20-Poly1305 nonce", expected: SealingKey.nonceByteCount, actual: nonce.count)
        }
        var out = [UInt8](repeating: 0, count: plaintext.count + SealingKey.tagByteCount)
        var written: UInt64 = 0
        let rc = secret.bytes.withUnsafeBufferPointer { key in
            crypto_aead_xchacha20poly1305_ietf_encrypt(
                &out, &written, plaintext, UInt64(plaintext.count), associatedData, UInt64(associatedData.count), nil,
                nonce, key.baseAddress!)
        }
        precondition(rc == 0 && written == UInt64(out.count), "XChaCha20-Poly1305 encryption cannot fail on valid lengths")
        return out
    }

    /// Opens ciphertext ‖ tag sealed under `nonce`; throws `.authenticationFailed` unless the
    /// key, nonce, associated data and ciphertext all match. The caller zeroes the plaintext
    /// (`SecureMemory.zero`) when it is a secret.
    public func open(_ ciphertext: [UInt8], nonce: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard nonce.count == SealingKey.nonceByteCount, ciphertext.count >= SealingKey.tagByteCount else {
            throw .authenticationFailed
        }
        var out = [UInt8](repeating: 0, count: ciphertext.count - SealingKey.tagByteCount)
        var written: UInt64 = 0
        let rc = secret.bytes.withUnsafeBufferPointer { key in
            crypto_aead_xchacha20poly1305_ietf_decrypt(
                &out, &written, nil, ciphertext, UInt64(ciphertext.count), associatedData, UInt64(associatedData.count),
                nonce, key.baseAddress!)
        }
        guard rc == 0, written == UInt64(out.count) else { throw .authenticationFailed }
        return out
    }
}
