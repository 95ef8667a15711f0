import CSodium

/// A 256-bit key for ChaCha20-Poly1305 (IETF variant, 96-bit nonce) with counter nonces.
///
/// The nonce is the 64-bit message counter in little-endian order after four zero bytes.
/// The caller owns the counter: it must never seal two messages with the same key and counter.
/// The key bytes live in a class and are zeroed with `sodium_memzero` when the last copy goes away.
public struct AEADKey: Sendable {
    /// Number of bytes in a key.
    public static let byteCount = 32
    /// Number of bytes the authentication tag adds to every sealed message.
    public static let tagByteCount = 16
    /// Number of bytes in the IETF nonce.
    static let nonceByteCount = 12

    private let secret: SecretBytes

    /// Wraps exactly 32 key bytes.
    public init<Bytes: Collection>(bytes: Bytes) throws(SessionCryptoError) where Bytes.Element == UInt8 {
        guard bytes.count == AEADKey.byteCount else {
            throw .invalidLength(what: "AEAD key", expected: AEADKey.byteCount, actual: bytes.count)
        }
        Sodium.ensureReady()
        secret = SecretBytes(Array(bytes))
    }

    /// A fresh random key from the operating system's secure random source.
    public static func generate() -> AEADKey {
        // Exactly `byteCount` bytes, so the length check cannot fail.
        try! AEADKey(bytes: SecureRandom.bytes(count: byteCount))
    }

    /// Seals `plaintext` under nonce `counter`; returns ciphertext followed by the 16-byte tag.
    public func seal(
        _ plaintext: UnsafeRawBufferPointer, counter: UInt64, associatedData: [UInt8] = []
    ) throws(SessionCryptoError) -> [UInt8] {
        guard UInt64(plaintext.count) <= UInt64(crypto_aead_chacha20poly1305_ietf_messagebytes_max()) else {
            throw .messageTooLong(bytes: plaintext.count)
        }
        let nonce = AEADKey.nonce(counter: counter)
        var out = [UInt8](repeating: 0, count: plaintext.count + AEADKey.tagByteCount)
        var written: UInt64 = 0
        let rc = secret.bytes.withUnsafeBufferPointer { key in
            associatedData.withUnsafeBufferPointer { ad in
                crypto_aead_chacha20poly1305_ietf_encrypt(
                    &out, &written,
                    plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                    ad.baseAddress, UInt64(ad.count), nil, nonce, key.baseAddress!)
            }
        }
        precondition(rc == 0 && written == UInt64(out.count), "ChaCha20-Poly1305 encryption cannot fail on valid lengths")
        return out
    }

    /// Seals a byte array under nonce `counter`.
    public func seal(_ plaintext: [UInt8], counter: UInt64, associatedData: [UInt8] = []) throws(SessionCryptoError) -> [UInt8] {
        // Typed throws do not pass through `withUnsafeBytes`, so carry the result out.
        let result: Result<[UInt8], SessionCryptoError> = plaintext.withUnsafeBytes { p in
            do throws(SessionCryptoError) { return .success(try seal(p, counter: counter, associatedData: associatedData)) }
            catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Opens a message sealed under nonce `counter`; throws `.authenticationFailed` unless
    /// the ciphertext, tag, counter and associated data all match.
    public func open(
        _ sealed: UnsafeRawBufferPointer, counter: UInt64, associatedData: [UInt8] = []
    ) throws(SessionCryptoError) -> [UInt8] {
        guard sealed.count >= AEADKey.tagByteCount else { throw .authenticationFailed }
        let nonce = AEADKey.nonce(counter: counter)
        var out = [UInt8](repeating: 0, count: sealed.count - AEADKey.tagByteCount)
        var written: UInt64 = 0
        let rc = secret.bytes.withUnsafeBufferPointer { key in
            associatedData.withUnsafeBufferPointer { ad in
                crypto_aead_chacha20poly1305_ietf_decrypt(
                    &out, &written, nil,
                    sealed.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(sealed.count),
                    ad.baseAddress, UInt64(ad.count), nonce, key.baseAddress!)
            }
        }
        guard rc == 0, written == UInt64(out.count) else { throw .authenticationFailed }
        return out
    }

    /// Opens a sealed byte array under nonce `counter`.
    public func open(_ sealed: [UInt8], counter: UInt64, associatedData: [UInt8] = []) throws(SessionCryptoError) -> [UInt8] {
        let result: Result<[UInt8], SessionCryptoError> = sealed.withUnsafeBytes { p in
            do throws(SessionCryptoError) { return .success(try open(p, counter: counter, associatedData: associatedData)) }
            catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Derives a key bound to `context` (keyed BLAKE2b-256 of this key under `context`), so
    /// both ends of a channel end up with keys that depend on their whole handshake.
    public func bound(to context: Digest) -> AEADKey {
        let derived = Hash.blake2b(secret.bytes, outputLength: AEADKey.byteCount, key: context.bytes)
        return try! AEADKey(bytes: derived)  // 32 bytes by construction
    }

    /// The 96-bit IETF nonce for `counter`: four zero bytes, then the counter little-endian.
    static func nonce(counter: UInt64) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: nonceByteCount)
        for i in 0..<8 { nonce[4 + i] = UInt8(truncatingIfNeeded: counter >> (8 * UInt64(i))) }
        return nonce
    }
}

/// Secret bytes that are zeroed when the last reference goes away. Immutable after init.
final class SecretBytes: @unchecked Sendable {
    // Only read after init; zeroed in deinit.
    private(set) var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    deinit { sodium_memzero(&bytes, bytes.count) }
}
