import LedgerCrypto

/// The first handshake message each side sends.
///
/// Wire form (big-endian): kind `0x01` (1) ‖ protocol version (2) ‖ chain id length (1) ‖
/// chain id ‖ genesis hash (32) ‖ validator id (4) ‖ ephemeral X25519 key (32) ‖ nonce (32).
struct Hello: Equatable, Sendable {
    static let kind: UInt8 = 0x01
    static let nonceByteCount = 32

    var protocolVersion: UInt16
    var chainID: [UInt8]
    var genesisHash: Digest
    var validatorID: PeerID
    var ephemeralKey: KeyExchangePublicKey
    var nonce: [UInt8]

    /// The canonical bytes.
    func encoded() -> [UInt8] {
        var out: [UInt8] = [Hello.kind]
        out.reserveCapacity(1 + 2 + 1 + chainID.count + 32 + 4 + 32 + 32)
        out.append(UInt8(truncatingIfNeeded: protocolVersion >> 8))
        out.append(UInt8(truncatingIfNeeded: protocolVersion))
        out.append(UInt8(truncatingIfNeeded: chainID.count))
        out += chainID
        out += genesisHash.bytes
        let id = UInt32(truncatingIfNeeded: validatorID.index)
        for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: id >> UInt32(shift))) }
        out += ephemeralKey.bytes
        out += nonce
        return out
    }

    /// Parses a Hello. The protocol version is checked first, so a peer on another version
    /// gets a version error rather than a parse error.
    static func decode(_ bytes: [UInt8], expectedVersion: UInt16, limits: P2PLimits) throws(HandshakeError) -> Hello {
        var reader = ByteReader(bytes)
        guard let kind = reader.readByte() else { throw .malformedMessage("empty message") }
        guard kind == Hello.kind else {
            throw kind == Auth.kind
                ? .unexpectedMessage("Auth received before Hello")
                : .malformedMessage("unknown message kind \(kind), expected Hello")
        }
        guard let version = reader.readUInt16() else { throw .malformedMessage("Hello truncated before version") }
        guard version == expectedVersion else { throw .protocolVersionMismatch(ours: expectedVersion, theirs: version) }
        guard let chainLength = reader.readByte() else { throw .malformedMessage("Hello truncated before chain id") }
        guard chainLength >= 1, Int(chainLength) <= limits.maxChainIDBytes else {
            throw .malformedMessage("chain id length \(chainLength) outside 1...\(limits.maxChainIDBytes)")
        }
        guard let chainID = reader.read(Int(chainLength)),
              let genesis = reader.read(Digest.byteCount),
              let id = reader.readUInt32(),
              let ephemeral = reader.read(KeyExchangePublicKey.byteCount),
              let nonce = reader.read(Hello.nonceByteCount)
        else { throw .malformedMessage("Hello truncated (\(bytes.count) bytes)") }
        guard reader.isAtEnd else { throw .malformedMessage("\(reader.remaining) trailing bytes after Hello") }
        guard let validatorIndex = Int(exactly: id) else { throw .malformedMessage("validator id out of range") }
        // Lengths are exact by construction, so these initialisers cannot fail.
        return Hello(
            protocolVersion: version, chainID: chainID, genesisHash: try! Digest(bytes: genesis),
            validatorID: PeerID(validatorIndex), ephemeralKey: try! KeyExchangePublicKey(bytes: ephemeral), nonce: nonce)
    }
}

/// The second handshake message: the sender's Ed25519 signature over the transcript.
///
/// Wire form: kind `0x02` (1) ‖ signature (64).
struct Auth: Equatable, Sendable {
    static let kind: UInt8 = 0x02

    var signature: Signature

    /// The canonical bytes.
    func encoded() -> [UInt8] { [Auth.kind] + signature.bytes }

    /// Parses an Auth.
    static func decode(_ bytes: [UInt8]) throws(HandshakeError) -> Auth {
        guard let kind = bytes.first else { throw .malformedMessage("empty message") }
        guard kind == Auth.kind else {
            throw kind == Hello.kind
                ? .unexpectedMessage("second Hello received, expected Auth")
                : .malformedMessage("unknown message kind \(kind), expected Auth")
        }
        guard bytes.count == 1 + Signature.byteCount else {
            throw .malformedMessage("Auth must be \(1 + Signature.byteCount) bytes, got \(bytes.count)")
        }
        return Auth(signature: try! Signature(bytes: bytes[1...]))  // 64 bytes checked above
    }
}

/// A bounds-checked cursor over received bytes; every read returns `nil` past the end.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    mutating func read(_ count: Int) -> [UInt8]? {
        guard count >= 0, count <= remaining else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func readByte() -> UInt8? { read(1)?.first }

    mutating func readUInt16() -> UInt16? {
        guard let b = read(2) else { return nil }
        return UInt16(b[0]) << 8 | UInt16(b[1])
    }

    mutating func readUInt32() -> UInt32? {
        guard let b = read(4) else { return nil }
        return b.reduce(0) { $0 << 8 | UInt32($1) }
    }
}
