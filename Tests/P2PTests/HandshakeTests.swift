// Drives the pure Handshake state machine with in-memory messages: the success case, the order that makes the initiator prove itself before the responder spends a key exchange or a signature, and every refusal (chain, genesis, version, unknown id, wrong key, impersonation, low-order key, replay, garbage, oversize).
import LedgerCrypto
@testable import P2P
import XCTest

final class HandshakeTests: XCTestCase {
    let validators = TestValidators(count: 4)

    /// Runs a full exchange; returns both outcomes or throws the first refusal.
    func exchange(_ initiator: inout Handshake, _ responder: inout Handshake) throws -> (Handshake.Established, Handshake.Established) {
        guard case let .send(responderHello) = try responder.receive(initiator.helloMessage) else {
            XCTFail("responder must answer a Hello with its own Hello"); throw HandshakeError.closedByPeer
        }
        XCTAssertEqual(responder.helloMessage, responderHello)
        guard case let .send(initiatorAuth) = try initiator.receive(responderHello) else {
            XCTFail("initiator must answer a Hello with its Auth"); throw HandshakeError.closedByPeer
        }
        guard case let .sendAndEstablish(responderAuth, r) = try responder.receive(initiatorAuth) else {
            XCTFail("responder must answer a valid Auth with its Auth"); throw HandshakeError.closedByPeer
        }
        guard case let .established(i) = try initiator.receive(responderAuth)
        else { XCTFail("Auth must establish"); throw HandshakeError.closedByPeer }
        return (i, r)
    }

    /// Feeds the responder the initiator's Hello (and, if it gets that far, its Auth); returns the refusal.
    func refusal(of attacker: NetworkIdentity, by defender: NetworkIdentity, file: StaticString = #filePath, line: UInt = #line) -> HandshakeError? {
        var a = Handshake(role: .initiator, identity: attacker)
        var d = Handshake(role: .responder, identity: defender)
        do {
            _ = try exchange(&a, &d)
            XCTFail("handshake should have been refused", file: file, line: line)
            return nil
        } catch {
            return error as? HandshakeError
        }
    }

    func testHonestPeersEstablishMatchingSessionKeys() throws {
        var a = Handshake(role: .initiator, identity: validators.identity(0), expectedPeer: PeerID(1))
        var b = Handshake(role: .responder, identity: validators.identity(1))
        let (atA, atB) = try exchange(&a, &b)
        XCTAssertEqual(atA.peer, PeerID(1))
        XCTAssertEqual(atB.peer, PeerID(0))
        XCTAssertEqual(atA.transcriptHash, atB.transcriptHash)
        XCTAssertTrue(a.isEstablished && b.isEstablished)
        let sealed = try atA.keys.transmit.seal([1, 2, 3], counter: 0)
        XCTAssertEqual(try atB.keys.receive.open(sealed, counter: 0), [1, 2, 3])
        let back = try atB.keys.transmit.seal([4, 5], counter: 0)
        XCTAssertEqual(try atA.keys.receive.open(back, counter: 0), [4, 5])
    }

    func testTwoHandshakesBetweenTheSamePeersGiveDifferentKeys() throws {
        var a1 = Handshake(role: .initiator, identity: validators.identity(0))
        var b1 = Handshake(role: .responder, identity: validators.identity(1))
        var a2 = Handshake(role: .initiator, identity: validators.identity(0))
        var b2 = Handshake(role: .responder, identity: validators.identity(1))
        let (first, _) = try exchange(&a1, &b1)
        let (_, second) = try exchange(&a2, &b2)
        XCTAssertNotEqual(first.transcriptHash, second.transcriptHash)
        let sealed = try first.keys.transmit.seal([7], counter: 0)
        XCTAssertThrowsError(try second.keys.receive.open(sealed, counter: 0))
    }

    func testWrongChainIsRefused() throws {
        let other = try NetworkIdentity(
            chainID: "other-chain", genesisHash: validators.genesisHash, localID: PeerID(0),
            signingKey: validators.keys[PeerID(0)]!, validators: validators.table)
        XCTAssertEqual(refusal(of: other, by: validators.identity(1)), .chainMismatch(ours: "test-chain", theirs: "other-chain"))
    }

    func testWrongGenesisIsRefused() throws {
        let otherGenesis = Hash.blake2b256(Array("another genesis".utf8))
        let other = try NetworkIdentity(
            chainID: validators.chainID, genesisHash: otherGenesis, localID: PeerID(0),
            signingKey: validators.keys[PeerID(0)]!, validators: validators.table)
        XCTAssertEqual(refusal(of: other, by: validators.identity(1)), .genesisMismatch(ours: validators.genesisHash, theirs: otherGenesis))
    }

    func testProtocolVersionMismatchIsRefused() throws {
        let newer = try NetworkIdentity(
            chainID: validators.chainID, genesisHash: validators.genesisHash, localID: PeerID(0),
            signingKey: validators.keys[PeerID(0)]!, validators: validators.table, protocolVersion: 3)
        XCTAssertEqual(refusal(of: newer, by: validators.identity(1)), .protocolVersionMismatch(ours: 2, theirs: 3))
    }

    func testUnknownValidatorIdIsRefused() throws {
        let stranger = SigningKey.generate()
        var table = validators.table
        table[PeerID(9)] = stranger.publicKey
        let attacker = try NetworkIdentity(
            chainID: validators.chainID, genesisHash: validators.genesisHash, localID: PeerID(9),
            signingKey: stranger, validators: table)
        XCTAssertEqual(refusal(of: attacker, by: validators.identity(1)), .unknownValidator(PeerID(9)))
    }

    func testAnotherKeyThanTheGenesisKeyIsRefusedBeforeAnySignature() throws {
        // The attacker claims validator 2 but holds its own key, not 2's genesis key.
        let stranger = SigningKey.generate()
        var table = validators.table
        table[PeerID(2)] = stranger.publicKey
        let attacker = try NetworkIdentity(
            chainID: validators.chainID, genesisHash: validators.genesisHash, localID: PeerID(2),
            signingKey: stranger, validators: table)
        XCTAssertEqual(refusal(of: attacker, by: validators.identity(1)), .wrongValidatorKey(PeerID(2)))
    }

    func testPeerClaimingOurOwnIdIsRefused() {
        XCTAssertEqual(refusal(of: validators.identity(1), by: validators.identity(1)), .impersonatesUs(PeerID(1)))
    }

    func testTheResponderDrawsNoKeyBeforeTheInitiatorsHelloAndSignsNothingBeforeItsAuth() throws {
        var b = Handshake(role: .responder, identity: validators.identity(1))
        XCTAssertEqual(b.helloMessage, [], "a responder speaks second")
        var a = Handshake(role: .initiator, identity: validators.identity(0))
        guard case let .send(hello) = try b.receive(a.helloMessage) else { return XCTFail("no Hello") }
        XCTAssertEqual(hello.first, a.helloMessage.first, "the answer to a Hello is a Hello, not an Auth")
        // An Auth that does not verify gets nothing back: no key exchange, no signature.
        guard case var .send(auth) = try a.receive(hello) else { return XCTFail("no Auth") }
        auth[auth.count - 1] ^= 1
        XCTAssertThrowsError(try b.receive(auth)) { XCTAssertEqual($0 as? HandshakeError, .badSignature(PeerID(0))) }
    }

    func testDialledPeerMustAnswerAsItself() throws {
        var a = Handshake(role: .initiator, identity: validators.identity(0), expectedPeer: PeerID(2))
        var b = Handshake(role: .responder, identity: validators.identity(1))
        guard case let .send(helloOfB) = try b.receive(Handshake(role: .initiator, identity: validators.identity(3)).helloMessage)
        else { return XCTFail("no Hello") }
        XCTAssertThrowsError(try a.receive(helloOfB)) {
            XCTAssertEqual($0 as? HandshakeError, .unexpectedPeer(expected: PeerID(2), actual: PeerID(1)))
        }
    }

    func testLowOrderEphemeralKeyIsRefused() throws {
        for hex in SessionCryptoTests.lowOrderPoints {
            // As initiator: the responder's Hello carries the weak key.
            var initiator = Handshake(role: .initiator, identity: validators.identity(0))
            let weakHello = Hello(
                protocolVersion: NetworkIdentity.currentProtocolVersion, chainID: Array(validators.chainID.utf8),
                genesisHash: validators.genesisHash, validatorID: PeerID(1), senderKey: validators.table[PeerID(1)]!.bytes, ephemeralKey: try KeyExchangePublicKey(bytes: Hex.decode(hex)!),
                nonce: [UInt8](repeating: 3, count: 32)).encoded()
            XCTAssertThrowsError(try initiator.receive(weakHello), hex) {
                XCTAssertEqual($0 as? HandshakeError, .weakEphemeralKey(PeerID(1)))
            }
            // As responder: the key exchange (after validator 0 proved itself) refuses the weak key.
            var defender = Handshake(role: .responder, identity: validators.identity(1))
            let hello = Hello(
                protocolVersion: NetworkIdentity.currentProtocolVersion, chainID: Array(validators.chainID.utf8),
                genesisHash: validators.genesisHash, validatorID: PeerID(0), senderKey: validators.table[PeerID(0)]!.bytes, ephemeralKey: try KeyExchangePublicKey(bytes: Hex.decode(hex)!),
                nonce: [UInt8](repeating: 3, count: 32)).encoded()
            guard case let .send(defenderHello) = try defender.receive(hello) else { return XCTFail("no Hello") }
            let transcript = Handshake.transcript(initiatorHello: hello, responderHello: defenderHello)
            let auth = Auth(signature: validators.keys[PeerID(0)]!.sign(Handshake.signedBytes(signer: .initiator, transcript: transcript)))
            XCTAssertThrowsError(try defender.receive(auth.encoded()), hex) {
                XCTAssertEqual($0 as? HandshakeError, .weakEphemeralKey(PeerID(0)))
            }
        }
    }

    func testReplayedInitiatorTranscriptIsRefused() throws {
        // Record an honest handshake from 0 to 1.
        var a = Handshake(role: .initiator, identity: validators.identity(0))
        var b = Handshake(role: .responder, identity: validators.identity(1))
        guard case let .send(helloOfB) = try b.receive(a.helloMessage),
              case let .send(recordedAuthOfA) = try a.receive(helloOfB) else { return XCTFail("no Auth") }
        // Replay 0's Hello and Auth to a fresh responder (fresh nonce): refused.
        var fresh = Handshake(role: .responder, identity: validators.identity(1))
        _ = try fresh.receive(a.helloMessage)
        XCTAssertThrowsError(try fresh.receive(recordedAuthOfA)) {
            XCTAssertEqual($0 as? HandshakeError, .badSignature(PeerID(0)))
        }
    }

    func testReplayedResponderTranscriptIsRefused() throws {
        var a = Handshake(role: .initiator, identity: validators.identity(0))
        var b = Handshake(role: .responder, identity: validators.identity(1))
        guard case let .send(helloOfB) = try b.receive(a.helloMessage),
              case let .send(authOfA) = try a.receive(helloOfB),
              case let .sendAndEstablish(recordedAuthOfB, _) = try b.receive(authOfA) else { return XCTFail("no Auth") }
        var fresh = Handshake(role: .initiator, identity: validators.identity(0))
        _ = try fresh.receive(helloOfB)
        XCTAssertThrowsError(try fresh.receive(recordedAuthOfB)) {
            XCTAssertEqual($0 as? HandshakeError, .badSignature(PeerID(1)))
        }
    }

    func testReplayWouldPassOnlyIfOurNonceAndKeyRepeated() throws {
        // Control for the replay tests: with our nonce and ephemeral key fixed, the recorded
        // Auth verifies, so it is the fresh nonce that defeats the replay above.
        let ephemeral = try KeyExchangeKeyPair(seed: [UInt8](repeating: 5, count: 32))
        let nonce = [UInt8](repeating: 6, count: 32)
        var a = Handshake(role: .initiator, identity: validators.identity(0))
        var b = Handshake(role: .responder, identity: validators.identity(1), ephemeral: ephemeral, nonce: nonce)
        guard case let .send(helloOfB) = try b.receive(a.helloMessage),
              case let .send(authOfA) = try a.receive(helloOfB) else { return XCTFail("no Auth") }
        var same = Handshake(role: .responder, identity: validators.identity(1), ephemeral: ephemeral, nonce: nonce)
        _ = try same.receive(a.helloMessage)
        guard case .sendAndEstablish = try same.receive(authOfA) else { return XCTFail("should establish") }
    }

    func testReflectedAuthIsRefused() throws {
        // The responder's own Auth sent back to it must not verify as the initiator's.
        var a = Handshake(role: .initiator, identity: validators.identity(0))
        var b = Handshake(role: .responder, identity: validators.identity(1))
        guard case let .send(helloOfB) = try b.receive(a.helloMessage),
              case let .send(authOfA) = try a.receive(helloOfB),
              case let .sendAndEstablish(authOfB, _) = try b.receive(authOfA) else { return XCTFail("no Auth") }
        var fresh = Handshake(role: .responder, identity: validators.identity(1))
        _ = try fresh.receive(a.helloMessage)
        XCTAssertThrowsError(try fresh.receive(authOfB)) {
            XCTAssertEqual($0 as? HandshakeError, .badSignature(PeerID(0)))
        }
    }

    func testGarbageAndMalformedMessagesAreRefused() {
        let cases: [[UInt8]] = [
            [],
            [0x7f, 1, 2, 3],
            [0x01],
            [0x01, 0x00, 0x02, 0x00],
            Array(Handshake(role: .initiator, identity: validators.identity(0)).helloMessage.dropLast()),
            Handshake(role: .initiator, identity: validators.identity(0)).helloMessage + [0],
            (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) },
        ]
        for message in cases {
            var defender = Handshake(role: .responder, identity: validators.identity(1))
            XCTAssertThrowsError(try defender.receive(message), "\(message.prefix(8))") {
                guard case .malformedMessage = $0 as? HandshakeError else {
                    return XCTFail("expected malformedMessage, got \($0)")
                }
            }
        }
    }

    func testAuthBeforeHelloIsOutOfOrder() {
        var defender = Handshake(role: .responder, identity: validators.identity(1))
        XCTAssertThrowsError(try defender.receive([Auth.kind] + [UInt8](repeating: 0, count: 64))) {
            guard case .unexpectedMessage = $0 as? HandshakeError else { return XCTFail("got \($0)") }
        }
    }

    func testOversizedHandshakeMessageIsRefused() {
        var defender = Handshake(role: .responder, identity: validators.identity(1))
        let limit = P2PLimits.standard.maxHandshakeMessageBytes
        XCTAssertThrowsError(try defender.receive([UInt8](repeating: 1, count: limit + 1))) {
            XCTAssertEqual($0 as? HandshakeError, .oversizedMessage(bytes: limit + 1, limit: limit))
        }
    }

    func testNothingIsAcceptedAfterARefusal() throws {
        var defender = Handshake(role: .responder, identity: validators.identity(1))
        XCTAssertThrowsError(try defender.receive([0x7f]))
        let honest = Handshake(role: .initiator, identity: validators.identity(0))
        XCTAssertThrowsError(try defender.receive(honest.helloMessage)) {
            guard case .unexpectedMessage = $0 as? HandshakeError else { return XCTFail("got \($0)") }
        }
    }

    func testIdentityRejectsInconsistentConfiguration() {
        let keys = validators.keys
        XCTAssertThrowsError(try NetworkIdentity(
            chainID: "", genesisHash: validators.genesisHash, localID: PeerID(0),
            signingKey: keys[PeerID(0)]!, validators: validators.table))
        XCTAssertThrowsError(try NetworkIdentity(
            chainID: "c", genesisHash: validators.genesisHash, localID: PeerID(0),
            signingKey: keys[PeerID(1)]!, validators: validators.table))
        XCTAssertThrowsError(try NetworkIdentity(
            chainID: "c", genesisHash: validators.genesisHash, localID: PeerID(7),
            signingKey: keys[PeerID(0)]!, validators: validators.table))
    }

    // MARK: Full nodes

    func testAFullNodeConnectsToAValidatorThatServesFullNodes() throws {
        let key = SigningKey.generate()
        var a = Handshake(role: .initiator, identity: validators.fullNode(key), expectedPeer: PeerID(1))
        var b = Handshake(role: .responder, identity: validators.identity(1, fullNodes: FullNodePolicy(maxConnected: 2)))
        let (atFull, atValidator) = try exchange(&a, &b)
        XCTAssertEqual(atFull.peer, PeerID(1))
        XCTAssertEqual(atValidator.peer, PeerID(fullNodeKey: key.publicKey))
        XCTAssertTrue(atValidator.peer.isFullNode)
    }

    func testFullNodesAreRefusedWhereNotServedOrNotListed() throws {
        let key = SigningKey.generate()
        let full = validators.fullNode(key)
        guard case .fullNodeNotServed? = refusal(of: full, by: validators.identity(1)) else {
            return XCTFail("a validator with full nodes off must refuse")
        }
        let listed = FullNodePolicy(maxConnected: 4, allowedKeys: [SigningKey.generate().publicKey])
        guard case .fullNodeNotServed? = refusal(of: full, by: validators.identity(1, fullNodes: listed)) else {
            return XCTFail("a key not on the list must be refused")
        }
        let onList = FullNodePolicy(maxConnected: 4, allowedKeys: [key.publicKey])
        var a = Handshake(role: .initiator, identity: full)
        var b = Handshake(role: .responder, identity: validators.identity(1, fullNodes: onList))
        XCTAssertNoThrow(try exchange(&a, &b))
    }

    func testAValidatorKeyMayConnectAsAFullNodeAndAFullNodeCannotAnswerADial() throws {
        // Validator 2's key, dialling as a full node (a validator catching up across a set change, decision 0038):
        // served like any full node, named by its key-derived id.
        let two = validators.fullNode(validators.keys[PeerID(2)]!)
        var a = Handshake(role: .initiator, identity: two)
        var b = Handshake(role: .responder, identity: validators.identity(1, fullNodes: FullNodePolicy(maxConnected: 4)))
        XCTAssertNoThrow(try exchange(&a, &b))
        // Not where full nodes are not served.
        var c = Handshake(role: .initiator, identity: two)
        var d = Handshake(role: .responder, identity: validators.identity(1))
        XCTAssertThrowsError(try exchange(&c, &d)) {
            guard case .fullNodeNotServed = $0 as? HandshakeError else { return XCTFail("\($0)") }
        }
        // A validator dials validator 3's address and a full node answers.
        let hello = Hello(
            protocolVersion: NetworkIdentity.currentProtocolVersion, chainID: Array(validators.chainID.utf8),
            genesisHash: validators.genesisHash, validatorID: PeerID(fullNodeKey: validators.table[PeerID(2)]!),
            senderKey: SigningKey.generate().publicKey.bytes, ephemeralKey: KeyExchangeKeyPair.generate().publicKey,
            nonce: [UInt8](repeating: 1, count: 32))
        var e = Handshake(role: .initiator, identity: validators.identity(0), expectedPeer: PeerID(3))
        XCTAssertThrowsError(try e.receive(hello.encoded())) {
            guard case .fullNodeNotServed = $0 as? HandshakeError else { return XCTFail("\($0)") }
        }
    }

    func testAFullNodeAcceptsNoConnection() throws {
        let full = validators.fullNode(SigningKey.generate())
        var d = Handshake(role: .responder, identity: full)
        var other = Handshake(role: .initiator, identity: validators.fullNode(SigningKey.generate()))
        XCTAssertThrowsError(try d.receive(other.helloMessage)) {
            guard case .fullNodeNotServed = $0 as? HandshakeError else { return XCTFail("\($0)") }
        }
        _ = other
    }
}
