import LedgerCrypto

/// The authenticated key-exchange handshake as a pure state machine (no sockets, no clock).
///
/// Both sides send a `Hello` first (`helloMessage`). When the peer's Hello arrives,
/// `receive` checks it against our `NetworkIdentity` and returns `.send(auth)`: our
/// signature over the transcript (domain tag ‖ signer role ‖ initiator Hello ‖ responder
/// Hello). When the peer's Auth arrives and its signature verifies under the peer's pinned
/// genesis key, `receive` returns `.established`. A recorded handshake cannot be replayed:
/// our fresh nonce is in the transcript the peer must sign.
///
/// Session keys come from libsodium's key exchange (initiator = client) and are then bound
/// to the transcript hash. After any error the handshake is dead; close the connection.
public struct Handshake: Sendable {
    /// Which end of the TCP connection we are.
    public enum Role: Sendable, Equatable {
        /// We dialled (our outbound connection).
        case initiator
        /// The peer dialled us (our inbound connection).
        case responder
    }

    /// What the caller must do after feeding a message.
    public enum Step: Sendable {
        /// Send these bytes (our Auth) as the next handshake message.
        case send([UInt8])
        /// The peer is authenticated; switch to sealed frames with these keys.
        case established(Established)
    }

    /// The outcome of a successful handshake.
    public struct Established: Sendable {
        /// The authenticated validator on the other end.
        public let peer: PeerID
        /// Directional keys for sealing and opening frames.
        public let keys: SessionKeys
        /// Hash of the transcript the keys are bound to (equal on both ends).
        public let transcriptHash: Digest
    }

    private enum State: Sendable {
        case awaitingHello
        case awaitingAuth(peer: PeerID, peerKey: PublicKey, transcript: [UInt8], keys: SessionKeys)
        case done
    }

    /// Domain separation for transcript signatures and key binding.
    static let domainTag = Array("bft-ledger/p2p/handshake/v1".utf8)

    /// Our role on this connection.
    public let role: Role
    /// The validator we dialled (initiator only); any other answer is refused.
    public let expectedPeer: PeerID?
    /// Our Hello, to be sent as the first handshake message.
    public let helloMessage: [UInt8]

    private let identity: NetworkIdentity
    private let limits: P2PLimits
    private let ephemeral: KeyExchangeKeyPair
    private var state = State.awaitingHello

    /// Prepares a handshake. `ephemeral` and `nonce` default to fresh secure randomness;
    /// tests pass fixed ones.
    public init(
        role: Role, identity: NetworkIdentity, expectedPeer: PeerID? = nil, limits: P2PLimits = .standard,
        ephemeral: KeyExchangeKeyPair = .generate(), nonce: [UInt8] = SecureRandom.bytes(count: 32)
    ) {
        precondition(nonce.count == Hello.nonceByteCount, "handshake nonce must be 32 bytes")
        self.role = role
        self.identity = identity
        self.expectedPeer = expectedPeer
        self.limits = limits
        self.ephemeral = ephemeral
        self.helloMessage = Hello(
            protocolVersion: identity.protocolVersion, chainID: Array(identity.chainID.utf8),
            genesisHash: identity.genesisHash, validatorID: identity.localID,
            ephemeralKey: ephemeral.publicKey, nonce: nonce
        ).encoded()
    }

    /// `true` once the peer is authenticated.
    public var isEstablished: Bool {
        if case .done = state { return true }
        return false
    }

    /// Feeds the next handshake message from the peer.
    public mutating func receive(_ message: [UInt8]) throws(HandshakeError) -> Step {
        guard message.count <= limits.maxHandshakeMessageBytes else {
            state = .done
            throw .oversizedMessage(bytes: message.count, limit: limits.maxHandshakeMessageBytes)
        }
        switch state {
        case .awaitingHello:
            do {
                return try receiveHello(message)
            } catch {
                state = .done
                throw error
            }
        case let .awaitingAuth(peer, peerKey, transcript, keys):
            state = .done
            let auth = try Auth.decode(message)
            let signed = Handshake.signedBytes(signer: role == .initiator ? .responder : .initiator, transcript: transcript)
            guard peerKey.isValidSignature(auth.signature, for: signed) else { throw .badSignature(peer) }
            return .established(Established(
                peer: peer, keys: keys, transcriptHash: Handshake.transcriptHash(transcript)))
        case .done:
            throw .unexpectedMessage("message after the handshake finished or failed")
        }
    }

    private mutating func receiveHello(_ message: [UInt8]) throws(HandshakeError) -> Step {
        let hello = try Hello.decode(message, expectedVersion: identity.protocolVersion, limits: limits)
        let ourChain = Array(identity.chainID.utf8)
        guard hello.chainID == ourChain else {
            throw .chainMismatch(ours: identity.chainID, theirs: String(decoding: hello.chainID, as: UTF8.self))
        }
        guard hello.genesisHash == identity.genesisHash else {
            throw .genesisMismatch(ours: identity.genesisHash, theirs: hello.genesisHash)
        }
        let peer = hello.validatorID
        guard peer != identity.localID else { throw .impersonatesUs(peer) }
        guard let peerKey = identity.validators[peer] else { throw .unknownValidator(peer) }
        if let expected = expectedPeer, expected != peer { throw .unexpectedPeer(expected: expected, actual: peer) }

        let transcript = role == .initiator
            ? Handshake.transcript(initiatorHello: helloMessage, responderHello: message)
            : Handshake.transcript(initiatorHello: message, responderHello: helloMessage)
        let rawKeys: SessionKeys
        do {
            rawKeys = role == .initiator
                ? try ephemeral.clientSessionKeys(serverPublicKey: hello.ephemeralKey)
                : try ephemeral.serverSessionKeys(clientPublicKey: hello.ephemeralKey)
        } catch {
            throw .weakEphemeralKey(peer)
        }
        let keys = rawKeys.bound(to: Handshake.transcriptHash(transcript))
        let signature = identity.signingKey.sign(Handshake.signedBytes(signer: role, transcript: transcript))
        state = .awaitingAuth(peer: peer, peerKey: peerKey, transcript: transcript, keys: keys)
        return .send(Auth(signature: signature).encoded())
    }

    /// Both Hellos in fixed initiator/responder order, each with a 2-byte length prefix.
    static func transcript(initiatorHello: [UInt8], responderHello: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for hello in [initiatorHello, responderHello] {
            out.append(UInt8(truncatingIfNeeded: hello.count >> 8))
            out.append(UInt8(truncatingIfNeeded: hello.count))
            out += hello
        }
        return out
    }

    /// The bytes a side signs: domain tag ‖ signer role ‖ transcript. The role byte stops an
    /// initiator's signature being reflected back as a responder's.
    static func signedBytes(signer: Role, transcript: [UInt8]) -> [UInt8] {
        domainTag + [signer == .initiator ? 0x49 : 0x52] + transcript
    }

    /// The hash session keys are bound to.
    static func transcriptHash(_ transcript: [UInt8]) -> Digest {
        Hash.blake2b256(domainTag + transcript)
    }
}
