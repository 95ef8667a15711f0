import LedgerCrypto

/// The first handshake message each side sends.
///
/// Wire form (big-endian): kind `0x01` (1) ‖ protocol version (2) ‖ chain id length (1) ‖
/// chain id ‖ genesis hash (32) ‖ validator id (4) ‖ sender's Ed25519 key (32) ‖ ephemeral X25519 key (32) ‖
/// nonce (32). A full node sends `PeerID.fullNodeWireID` as its validator id; its key names it.
struct Hello: Equatable, Sendable {
    static let kind: UInt8 = 0x01
    static let nonceByteCount = 32

    var protocolVersion: UInt16
    var chainID: [UInt8]
    var genesisHash: Digest
    var validatorID: PeerID
    /// The sender's long-term key as sent (checked against the genesis key, or, for a full node,
    /// validated by the responder only once its policy admits full nodes).
    var senderKey: [UInt8]
    var ephemeralKey: KeyExchangePublicKey
    var nonce: [UInt8]

    /// The canonical bytes.
    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 1 + 2 + 1 + chainID.count + Digest.byteCount + 4 + PublicKey.byteCount
            + KeyExchangePublicKey.byteCount + nonce.count)
        w.write(Hello.kind)
        w.write(protocolVersion)
        w.writeShortBytes(chainID)
        w.write(genesisHash)
        w.write(validatorID.isFullNode ? PeerID.fullNodeWireID : UInt32(truncatingIfNeeded: validatorID.index))
        w.writeRaw(senderKey)
        w.writeRaw(ephemeralKey.bytes)
        w.writeRaw(nonce)
        return w.bytes
    }

    /// Parses a Hello. The protocol version is checked first, so a peer on another version
    /// gets a version error rather than a parse error.
    static func decode(_ bytes: [UInt8], expectedVersion: UInt16, limits: P2PLimits) throws(HandshakeError) -> Hello {
        let result: Result<Hello, HandshakeError> = bytes.withUnsafeBytes { raw in
            var reader = ByteReader(raw)
            return Result { () throws(HandshakeError) -> Hello in
                try decode(from: &reader, expectedVersion: expectedVersion, limits: limits)
            }
        }
        return try result.get()
    }

    private static func decode(
        from reader: inout ByteReader, expectedVersion: UInt16, limits: P2PLimits
    ) throws(HandshakeError) -> Hello {
        guard reader.remaining > 0 else { throw .malformedMessage("empty message") }
        let kind = try malformedIfShort { () throws(DecodingError) in try reader.readUInt8("Hello kind") }
        guard kind == Hello.kind else {
            throw kind == Auth.kind
                ? .unexpectedMessage("Auth received before Hello")
                : .malformedMessage("unknown message kind \(kind), expected Hello")
        }
        let version = try malformedIfShort { () throws(DecodingError) in try reader.readUInt16("Hello protocol version") }
        guard version == expectedVersion else { throw .protocolVersionMismatch(ours: expectedVersion, theirs: version) }
        let chainLength = try malformedIfShort { () throws(DecodingError) in try reader.readUInt8("Hello chain id length") }
        guard chainLength >= 1, Int(chainLength) <= limits.maxChainIDBytes else {
            throw .malformedMessage("chain id length \(chainLength) outside 1...\(limits.maxChainIDBytes)")
        }
        return try malformedIfShort { () throws(DecodingError) in
            let chainID = [UInt8](try reader.readRaw(Int(chainLength), "Hello chain id"))
            let genesis = try reader.readDigest("Hello genesis hash")
            let id = try reader.readUInt32("Hello validator id")
            let senderKey = [UInt8](try reader.readRaw(PublicKey.byteCount, "Hello sender key"))
            let ephemeral = try reader.readRaw(KeyExchangePublicKey.byteCount, "Hello ephemeral key")
            let nonce = [UInt8](try reader.readRaw(Hello.nonceByteCount, "Hello nonce"))
            try reader.finish()
            // The key has exactly 32 bytes, so its initialiser cannot fail. A full node's id is derived
            // from its key by the handshake, once its key is validated.
            return Hello(
                protocolVersion: version, chainID: chainID, genesisHash: genesis,
                validatorID: id == PeerID.fullNodeWireID ? PeerID(PeerID.fullNodeBase) : PeerID(Int(id)), senderKey: senderKey,
                ephemeralKey: try! KeyExchangePublicKey(bytes: ephemeral), nonce: nonce)
        }
    }
}

/// Runs `read`, turning a decoding failure (truncation, a bad length, trailing bytes) into
/// `HandshakeError.malformedMessage` with the decoder's field and offset.
private func malformedIfShort<T>(_ read: () throws(DecodingError) -> T) throws(HandshakeError) -> T {
    do { return try read() } catch { throw .malformedMessage(error.description) }
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
