import CSodium

/// An ephemeral X25519 public key as sent in a handshake (32 bytes, any value accepted here).
///
/// Low-order keys are caught where they are used: the key exchange refuses them with
/// `SessionCryptoError.weakKeyExchange`.
public struct KeyExchangePublicKey: Hashable, Sendable, CustomStringConvertible {
    /// Number of bytes in a key-exchange public key.
    public static let byteCount = 32

    /// The 32 bytes.
    public let bytes: [UInt8]

    /// Wraps exactly 32 bytes.
    public init<Bytes: Collection>(bytes: Bytes) throws(SessionCryptoError) where Bytes.Element == UInt8 {
        guard bytes.count == KeyExchangePublicKey.byteCount else {
            throw .invalidLength(what: "key-exchange public key", expected: KeyExchangePublicKey.byteCount, actual: bytes.count)
        }
        self.bytes = Array(bytes)
    }

    public var description: String { Hex.encode(bytes) }
}

/// The two directional keys of one session: what this side opens with and what it seals with.
public struct SessionKeys: Sendable {
    /// Key for messages from the peer to us.
    public let receive: AEADKey
    /// Key for messages from us to the peer.
    public let transmit: AEADKey

    /// Wraps two directional keys.
    public init(receive: AEADKey, transmit: AEADKey) {
        self.receive = receive
        self.transmit = transmit
    }

    /// Both keys re-derived under `context` (e.g. the handshake transcript hash).
    public func bound(to context: Digest) -> SessionKeys {
        SessionKeys(receive: receive.bound(to: context), transmit: transmit.bound(to: context))
    }
}

/// An ephemeral X25519 key pair for libsodium's key exchange (`crypto_kx_*`).
///
/// One side plays the client, the other the server; `clientSessionKeys` and
/// `serverSessionKeys` give each side a `SessionKeys` whose `transmit` equals the other's
/// `receive`. Both refuse a low-order peer key (libsodium's scalar multiplication reports
/// an all-zero shared secret as failure, and that return code is checked).
public struct KeyExchangeKeyPair: Sendable {
    /// The public half, to send to the peer.
    public let publicKey: KeyExchangePublicKey
    private let secret: SecretBytes

    /// Number of bytes in a seed for `init(seed:)`.
    public static let seedByteCount = 32

    /// Derives a key pair deterministically from a 32-byte seed (for tests and fixtures).
    public init<Bytes: Collection>(seed: Bytes) throws(SessionCryptoError) where Bytes.Element == UInt8 {
        guard seed.count == KeyExchangeKeyPair.seedByteCount else {
            throw .invalidLength(what: "key-exchange seed", expected: KeyExchangeKeyPair.seedByteCount, actual: seed.count)
        }
        Sodium.ensureReady()
        let seedBytes = Array(seed)
        var pk = [UInt8](repeating: 0, count: KeyExchangePublicKey.byteCount)
        var sk = [UInt8](repeating: 0, count: Int(crypto_kx_secretkeybytes()))
        let rc = crypto_kx_seed_keypair(&pk, &sk, seedBytes)
        precondition(rc == 0, "crypto_kx_seed_keypair cannot fail on a 32-byte seed")
        publicKey = try! KeyExchangePublicKey(bytes: pk)  // 32 bytes by construction
        secret = SecretBytes(sk)
        sodium_memzero(&sk, sk.count)
    }

    /// A fresh key pair from the operating system's secure random source.
    public static func generate() -> KeyExchangeKeyPair {
        try! KeyExchangeKeyPair(seed: SecureRandom.bytes(count: seedByteCount))  // right length
    }

    /// Session keys for the client (initiator) side, given the server's public key.
    public func clientSessionKeys(serverPublicKey: KeyExchangePublicKey) throws(SessionCryptoError) -> SessionKeys {
        try sessionKeys(peer: serverPublicKey, asClient: true)
    }

    /// Session keys for the server (responder) side, given the client's public key.
    public func serverSessionKeys(clientPublicKey: KeyExchangePublicKey) throws(SessionCryptoError) -> SessionKeys {
        try sessionKeys(peer: clientPublicKey, asClient: false)
    }

    private func sessionKeys(peer: KeyExchangePublicKey, asClient: Bool) throws(SessionCryptoError) -> SessionKeys {
        let size = Int(crypto_kx_sessionkeybytes())
        var rx = [UInt8](repeating: 0, count: size)
        var tx = [UInt8](repeating: 0, count: size)
        defer {
            sodium_memzero(&rx, rx.count)
            sodium_memzero(&tx, tx.count)
        }
        let rc = secret.bytes.withUnsafeBufferPointer { sk in
            asClient
                ? crypto_kx_client_session_keys(&rx, &tx, publicKey.bytes, sk.baseAddress!, peer.bytes)
                : crypto_kx_server_session_keys(&rx, &tx, publicKey.bytes, sk.baseAddress!, peer.bytes)
        }
        guard rc == 0 else { throw .weakKeyExchange }
        // Belt and braces: an all-zero key would mean the exchange silently degenerated.
        guard rx.contains(where: { $0 != 0 }), tx.contains(where: { $0 != 0 }) else { throw .weakKeyExchange }
        return SessionKeys(receive: try AEADKey(bytes: rx), transmit: try AEADKey(bytes: tx))
    }
}
