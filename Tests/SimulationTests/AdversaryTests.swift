// Drives each Byzantine behaviour with a real message and checks what it emits: forged, re-signed, split, delayed or dropped as its name says.
import LedgerCore
import LedgerCrypto
import PBFT
import XCTest
@testable import Adversary
@testable import Simulation

final class AdversaryTests: XCTestCase {
    private let chainID = "sim-net"
    private let n = 4
    private var keys: SimulationKeys!
    private var verifier: LedgerMessageVerifier!
    private var client: SigningKey!

    override func setUp() {
        var random = SimulationRandom(seed: 99)
        keys = SimulationKeys(replicaCount: n, random: &random)
        let chainID = self.chainID
        verifier = LedgerMessageVerifier(
            context: SigningContext(chainID: chainID, epoch: 0), scheme: keys,
            checkBatch: LedgerMessageVerifier.ledgerBatchCheck(chainID: chainID, limits: .hardCaps))
        client = try! SigningKey(seed: [UInt8](repeating: 7, count: 32))
    }

    private func context(_ id: Int) -> AdversaryContext {
        AdversaryContext(
            replica: ReplicaID(id), replicaCount: n, chainID: chainID, signer: keys.signer(for: ReplicaID(id)),
            nowMs: 1_000, viewChangeTimeoutMs: 1_000, window: 32)
    }

    private func batch(view: View = .zero) -> Batch {
        let to = Address(publicKey: try! SigningKey(seed: [UInt8](repeating: 8, count: 32)).publicKey)
        let tx = try! Transaction.signed(chainID: chainID, sender: client, recipient: to, amount: 5, nonce: 0)
        return Batch(view: view, timestamp: 1_000, transactions: [tx])
    }

    private func prePrepare(from id: Int = 0) -> LedgerMessage {
        let b = batch()
        let body = PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: b.digest)
        return .prePrepare(context(id).sign(body), batch: b)
    }

    private func prepare(from id: Int, digest: Digest) -> LedgerMessage {
        .prepare(context(id).sign(Prepare(view: .zero, sequence: SequenceNumber(1), digest: digest)))
    }

    private func verifies(_ m: LedgerMessage) -> Bool { (try? verifier.verify(m)) != nil }

    private func digestOf(_ m: LedgerMessage) -> Digest? {
        switch m {
        case let .prePrepare(s, _): return s.body.digest
        case let .prepare(s): return s.body.digest
        case let .commit(s): return s.body.digest
        case let .checkpoint(s): return s.body.blockHash
        default: return nil
        }
    }

    private let backups = [ReplicaID(1), ReplicaID(2), ReplicaID(3)]

    func testHonestMessagesVerify() {
        XCTAssertTrue(verifies(prePrepare()))
    }

    func testEquivocateSendsTwoValidBatchesToDisjointBackups() {
        var b = Equivocate()
        let out = b.transform(prePrepare(), to: backups, context: context(0))
        XCTAssertEqual(out.count, 2)
        XCTAssertNotEqual(digestOf(out[0].message), digestOf(out[1].message))
        XCTAssertTrue(out.allSatisfy { verifies($0.message) }, "both forks are validly signed by the primary")
        XCTAssertTrue(Set(out[0].recipients).isDisjoint(with: out[1].recipients))
        XCTAssertEqual(Set(out.flatMap(\.recipients)), Set(backups))
    }

    func testSilentSendsNothing() {
        var b = Silent()
        XCTAssertTrue(b.transform(prePrepare(), to: backups, context: context(0)).isEmpty)
    }

    func testSlowPrimaryHoldsProposalsJustUnderTheTimeout() {
        var b = SlowPrimary()
        let out = b.transform(prePrepare(), to: backups, context: context(0))
        XCTAssertEqual(out.map(\.delayMs), [900])
        let vote = b.transform(prepare(from: 0, digest: batch().digest), to: backups, context: context(0))
        XCTAssertEqual(vote.map(\.delayMs), [0])
    }

    func testDoubleVoteSignsTwoDigestsForOneSlot() {
        var b = DoubleVote()
        let out = b.transform(prepare(from: 2, digest: batch().digest), to: [ReplicaID(0), ReplicaID(1), ReplicaID(3)], context: context(2))
        XCTAssertEqual(Set(out.compactMap { digestOf($0.message) }).count, 2)
        XCTAssertTrue(out.allSatisfy { verifies($0.message) })
    }

    func testAmnesiaForgetsItsLog() {
        XCTAssertTrue(Amnesia().forgetsLogOnRestart)
        XCTAssertFalse(Silent().forgetsLogOnRestart)
    }

    func testBadSignatureNeverVerifies() {
        var b = BadSignature()
        let out = b.transform(prePrepare(), to: backups, context: context(0))
        XCTAssertFalse(out.isEmpty)
        XCTAssertTrue(out.allSatisfy { !verifies($0.message) })
    }

    func testForgeSenderClaimsAnotherIdentityAndIsRejected() {
        var b = ForgeSender()
        let out = b.transform(prepare(from: 1, digest: batch().digest), to: [ReplicaID(0)], context: context(1))
        XCTAssertEqual(out.count, 2)
        XCTAssertTrue(verifies(out[0].message))
        XCTAssertNotEqual(out[1].message.signer, ReplicaID(1))
        XCTAssertFalse(verifies(out[1].message), "a signature under another replica's id must not verify")
    }

    func testReplayResendsOldMessages() {
        var b = Replay(seed: 1)
        let old = prepare(from: 2, digest: batch().digest)
        b.observe(incoming: old)
        let out = b.transform(prePrepare(from: 1), to: backups, context: context(1))
        XCTAssertGreaterThan(out.count, 1)
        XCTAssertTrue(out.dropFirst().allSatisfy { $0.message == old })
    }

    func testFloodSendsValidlySignedJunkOutsideTheWindow() {
        var b = Flood(seed: 2)
        let out = b.transform(prepare(from: 1, digest: batch().digest), to: [ReplicaID(0)], context: context(1))
        XCTAssertGreaterThan(out.count, 3)
        let farSequences = out.dropFirst().compactMap { e -> SequenceNumber? in
            if case let .prepare(s) = e.message { return s.body.sequence }
            if case let .commit(s) = e.message { return s.body.sequence }
            return nil
        }
        XCTAssertTrue(farSequences.contains { $0.rawValue > 32 }, "some junk must be beyond the high watermark")
        XCTAssertTrue(out.allSatisfy { verifies($0.message) }, "junk is validly signed: the replica, not the verifier, must drop it")
    }

    func testFakePreparedCertificatesAreCaught() {
        var b = FakePrepared()
        let vc = ViewChange(newView: View(1), stableCheckpoint: .genesis, preparedCertificates: [])
        let message = LedgerMessage.viewChange(context(2).sign(vc))
        for _ in 0..<2 {
            let out = b.transform(message, to: [ReplicaID(0), ReplicaID(1), ReplicaID(3)], context: context(2))
            guard case let .viewChange(signed) = out[0].message, let cert = signed.body.preparedCertificates.first else {
                return XCTFail("expected a VIEW-CHANGE with a forged certificate")
            }
            // Either the signatures fail verification or the certificate's structure is invalid.
            let caught = !verifies(out[0].message) || (try? cert.validateStructure(replicaCount: n, quorum: 3)) == nil
            XCTAssertTrue(caught, "a forged prepared certificate must not pass both checks")
        }
    }

    func testBadNewViewChangesTheOSet() {
        var b = BadNewView()
        let nv = NewView(view: View(1), viewChanges: [], prePrepares: [
            context(1).sign(PrePrepare(view: View(1), sequence: SequenceNumber(1), digest: Batch.null.digest))
        ])
        let message = LedgerMessage.newView(context(1).sign(nv))
        for _ in 0..<3 {
            let out = b.transform(message, to: [ReplicaID(0), ReplicaID(2), ReplicaID(3)], context: context(1))
            guard case let .newView(signed) = out[0].message else { return XCTFail("expected a NEW-VIEW") }
            XCTAssertNotEqual(signed.body.prePrepares, nv.prePrepares)
        }
    }

    func testCorruptCheckpointLiesDifferentlyToEachPeer() {
        var b = CorruptCheckpoint()
        let truth = Hash.blake2b256([1, 2, 3])
        let message = LedgerMessage.checkpoint(context(3).sign(Checkpoint(sequence: SequenceNumber(8), blockHash: truth)))
        let out = b.transform(message, to: [ReplicaID(0), ReplicaID(1), ReplicaID(2)], context: context(3))
        let hashes = out.compactMap { digestOf($0.message) }
        XCTAssertEqual(Set(hashes).count, 3)
        XCTAssertFalse(hashes.contains(truth))
    }

    func testInvalidTransactionBatchesFailVerification() {
        var b = InvalidTransaction(seed: 3)
        for _ in 0..<2 {
            let out = b.transform(prePrepare(), to: backups, context: context(0))
            XCTAssertEqual(out.count, 1)
            XCTAssertFalse(verifies(out[0].message), "a batch with an invalid transaction must be refused")
        }
    }

    func testCensorDropsOnlyTheVictim() {
        let other = try! SigningKey(seed: [UInt8](repeating: 9, count: 32))
        var b = Censor(victim: client.publicKey)
        let to = Address(publicKey: other.publicKey)
        let mine = try! Transaction.signed(chainID: chainID, sender: client, recipient: to, amount: 1, nonce: 0)
        let theirs = try! Transaction.signed(chainID: chainID, sender: other, recipient: Address(publicKey: client.publicKey), amount: 1, nonce: 0)
        XCTAssertEqual(b.filter(requests: [mine, theirs]), [theirs])
    }

    func testEveryStrategyHasABehaviourWithItsName() {
        for s in ByzantineStrategy.allCases {
            XCTAssertEqual(s.makeBehaviour(seed: 1).strategy, s)
            XCTAssertEqual(ByzantineStrategy(rawValue: s.rawValue), s)
        }
        XCTAssertEqual(ByzantineStrategy.names.count, 16)
    }

    func testSelectiveGossipKeepsTransactionsFromThePrimaryOnly() {
        var b = SelectiveGossip()
        let tx = batch().transactions[0]
        XCTAssertEqual(b.gossipRecipients([tx], to: backups + [ReplicaID(0)], primary: ReplicaID(0)), backups)
        XCTAssertEqual(b.gossipRecipients([tx], to: [ReplicaID(2)], primary: ReplicaID(2)), [], "nor relays them to it")
        XCTAssertTrue(b.attractsClients)
        let out = b.transform(prePrepare(from: 1), to: backups, context: context(1))
        XCTAssertEqual(out.map(\.recipients), [backups], "consensus messages go out unchanged")
    }

    func testStatusReplayReplaysOthersMessagesAwayFromTheirSignerAndInflatesItsOwnStatus() {
        var b = StatusReplay()
        let theirs = LedgerMessage.status(context(2).sign(
            Status(view: .zero, isChangingView: false, lastExecuted: SequenceNumber(5), stableCheckpoint: .zero)))
        b.observe(incoming: theirs)
        let own = LedgerMessage.status(context(1).sign(
            Status(view: .zero, isChangingView: false, lastExecuted: SequenceNumber(9), stableCheckpoint: SequenceNumber(8))))
        let out = b.transform(own, to: [ReplicaID(0), ReplicaID(2), ReplicaID(3)], context: context(1))
        let inflated = out.filter { if case let .status(s) = $0.message { s.signer == ReplicaID(1) } else { false } }
        XCTAssertEqual(inflated.count, StatusReplay.statusCopies)
        for e in inflated {
            guard case let .status(s) = e.message else { continue }
            XCTAssertEqual(s.body.lastExecuted, .zero)
            XCTAssertTrue(verifies(e.message), "its own STATUS is validly signed")
        }
        let replayed = out.filter { if case let .status(s) = $0.message { s.signer == ReplicaID(2) } else { false } }
        XCTAssertEqual(replayed.count, 1)
        XCTAssertEqual(replayed.first?.recipients, [ReplicaID(0), ReplicaID(3)], "to the others, never back to the signer")
        XCTAssertFalse(replayed[0].message.mayArrive(from: ReplicaID(1)), "receivers refuse it on the replayer's link")
    }

    func testSimulationKeysRejectOtherSignersAndTamperedBytes() {
        let bytes: [UInt8] = [1, 2, 3, 4]
        let sig = keys.signer(for: ReplicaID(1)).sign(bytes)
        XCTAssertTrue(keys.isValid(sig, by: ReplicaID(1), over: bytes))
        XCTAssertFalse(keys.isValid(sig, by: ReplicaID(2), over: bytes))
        XCTAssertFalse(keys.isValid(sig, by: ReplicaID(1), over: [1, 2, 3, 5]))
        XCTAssertFalse(keys.isValid(sig, by: ReplicaID(7), over: bytes))
    }
}
