import LedgerCrypto

/// The authenticated key-exchange handshake as a pure state machine (no sockets, no clock).
///
/// The initiator (who dialled) proves itself first, so an anonymous dialler costs the
/// responder no key exchange and no signature:
///
/// 1. initiator → `Hello` (`helloMessage`, sent on connect);
/// 2. responder: cheap checks of that Hello (version, chain, genesis, a known validator that is
///    not us), then its own fresh ephemeral key → `Hello` (`receive` returns `.send(hello)`);
/// 3. initiator: checks, key exchange, → `Auth`: its signature over the transcript (domain tag ‖
///    signer role ‖ initiator Hello ‖ responder Hello);
/// 4. responder: verifies that signature under the pinned genesis key — the proof — and only
///    then does its key exchange and signs → `Auth` (`.sendAndEstablish(auth, …)`);
/// 5. initiator verifies → `.established`.
///
/// A recorded handshake cannot be replayed: each side's fresh nonce is in the transcript the
/// other must sign.
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
        /// Send these bytes (our Hello as responder, our Auth as initiator) as the next handshake message.
        case send([UInt8])
        /// The peer is authenticated; switch to sealed frames with these keys.
        case established(Established)
        /// Send these bytes (the responder's Auth), then switch to sealed frames: the peer is authenticated.
        case sendAndEstablish([UInt8], Established)
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
        /// Initiator: our Auth is sent; the keys are derived.
        case awaitingAuth(peer: PeerID, peerKey: PublicKey, transcript: [UInt8], keys: SessionKeys)
        /// Responder: our Hello is sent; nothing costly is done until the initiator's Auth verifies.
        case awaitingInitiatorAuth(peer: PeerID, peerKey: PublicKey, peerEphemeral: KeyExchangePublicKey, transcript: [UInt8])
        case done
    }

    /// Domain separation for transcript signatures and key binding.
    static let domainTag = Array("bft-ledger/p2p/handshake/v1".utf8)

    /// Our role on this connection.
    public let role: Role
    /// The validator we dialled (initiator only); any other answer is refused.
    public let expectedPeer: PeerID?
    /// Our Hello: an initiator's is made at once and sent on connect; a responder's is made when
    /// the initiator's Hello passed its checks (it is returned by `receive`; empty until then).
    public private(set) var helloMessage: [UInt8]

    private let identity: NetworkIdentity
    private let limits: P2PLimits
    private var ephemeral: KeyExchangeKeyPair?
    private var nonce: [UInt8]?
    private var state = State.awaitingHello

    /// Prepares a handshake. `ephemeral` and `nonce` default to fresh secure randomness, drawn
    /// at once by an initiator and only after the initiator's Hello passed its checks by a
    /// responder; tests pass fixed ones.
    public init(
        role: Role, identity: NetworkIdentity, expectedPeer: PeerID? = nil, limits: P2PLimits = .standard,
        ephemeral: KeyExchangeKeyPair? = nil, nonce: [UInt8]? = nil
    ) {
        precondition(nonce.map { $0.count == Hello.nonceByteCount } ?? true, "handshake nonce must be 32 bytes")
        self.role = role
        self.identity = identity
        self.expectedPeer = expectedPeer
        self.limits = limits
        self.ephemeral = ephemeral
        self.nonce = nonce
        self.helloMessage = []
        if role == .initiator { makeHello() }
    }

    /// Draws our ephemeral key and nonce (unless fixed) and encodes our Hello.
    private mutating func makeHello() {
        let pair = ephemeral ?? .generate()
        ephemeral = pair
        helloMessage = Hello(
            protocolVersion: identity.protocolVersion, chainID: Array(identity.chainID.utf8),
            genesisHash: identity.genesisHash, validatorID: identity.localID, senderKey: identity.signingKey.publicKey.bytes,
            ephemeralKey: pair.publicKey, nonce: nonce ?? SecureRandom.bytes(count: Hello.nonceByteCount)
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
            let signed = Handshake.signedBytes(signer: .responder, transcript: transcript)
            guard peerKey.isValidSignature(auth.signature, for: signed) else { throw .badSignature(peer) }
            return .established(Established(
                peer: peer, keys: keys, transcriptHash: Handshake.transcriptHash(transcript)))
        case let .awaitingInitiatorAuth(peer, peerKey, peerEphemeral, transcript):
            state = .done
            let auth = try Auth.decode(message)
            // The proof comes first: a signature by the claimed validator over both fresh Hellos.
            let signed = Handshake.signedBytes(signer: .initiator, transcript: transcript)
            guard peerKey.isValidSignature(auth.signature, for: signed) else { throw .badSignature(peer) }
            let keys = try sessionKeys(peer: peer, peerEphemeral: peerEphemeral, transcript: transcript)
            let ours = identity.signingKey.sign(Handshake.signedBytes(signer: .responder, transcript: transcript))
            return .sendAndEstablish(Auth(signature: ours).encoded(), Established(
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
        let (peer, peerKey) = try authenticatedPeer(hello)
        if let expected = expectedPeer, expected != peer { throw .unexpectedPeer(expected: expected, actual: peer) }

        if role == .responder {
            // No key exchange and no signature for a peer that has not proven anything yet.
            makeHello()
            let transcript = Handshake.transcript(initiatorHello: message, responderHello: helloMessage)
            state = .awaitingInitiatorAuth(peer: peer, peerKey: peerKey, peerEphemeral: hello.ephemeralKey, transcript: transcript)
            return .send(helloMessage)
        }
        let transcript = Handshake.transcript(initiatorHello: helloMessage, responderHello: message)
        let keys = try sessionKeys(peer: peer, peerEphemeral: hello.ephemeralKey, transcript: transcript)
        let signature = identity.signingKey.sign(Handshake.signedBytes(signer: role, transcript: transcript))
        state = .awaitingAuth(peer: peer, peerKey: peerKey, transcript: transcript, keys: keys)
        return .send(Auth(signature: signature).encoded())
    }

    /// Who the Hello claims to be and the key its Auth must verify under. A validator must send its
    /// genesis key (compared as bytes: nothing is computed for a wrong one). A full node is only
    /// considered by a validator whose policy admits full nodes; its key is validated then.
    private func authenticatedPeer(_ hello: Hello) throws(HandshakeError) -> (PeerID, PublicKey) {
        guard hello.validatorID.isFullNode else {
            let peer = hello.validatorID
            guard peer != identity.localID else { throw .impersonatesUs(peer) }
            guard let key = identity.validators[peer] else { throw .unknownValidator(peer) }
            guard key.bytes == hello.senderKey else { throw .wrongValidatorKey(peer) }
            return (peer, key)
        }
        guard role == .responder, !identity.isFullNode else { throw .fullNodeNotServed("a full node answered a dial") }
        guard identity.fullNodes.maxConnected > 0 else { throw .fullNodeNotServed("this validator serves no full nodes") }
        guard let key = try? PublicKey(bytes: hello.senderKey) else { throw .malformedMessage("full node key is not a valid Ed25519 key") }
        // A validator's key may connect as a full node: it gains nothing a validator link would not give, uses one of
        // the full-node places, and is how a validator that missed a validator-set change catches up (decision 0038).
        guard identity.fullNodes.admits(key) else { throw .fullNodeNotServed("its key is not in this validator's full_nodes list") }
        return (PeerID(fullNodeKey: key), key)
    }

    /// The key exchange with the peer's ephemeral key, bound to the transcript.
    private func sessionKeys(peer: PeerID, peerEphemeral: KeyExchangePublicKey, transcript: [UInt8]) throws(HandshakeError) -> SessionKeys {
        guard let ephemeral else { throw .unexpectedMessage("no ephemeral key drawn") }
        let rawKeys: SessionKeys
        do {
            rawKeys = role == .initiator
                ? try ephemeral.clientSessionKeys(serverPublicKey: peerEphemeral)
                : try ephemeral.serverSessionKeys(clientPublicKey: peerEphemeral)
        } catch {
            throw .weakEphemeralKey(peer)
        }
        return rawKeys.bound(to: Handshake.transcriptHash(transcript))
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
