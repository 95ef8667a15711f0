// The full node's consensus core: commits pushed batches in order, holds early ones, asks for state transfer on a gap,
// on f + 1 matching checkpoints and on a silent probe, and never commits what the verifier refused.
import LedgerCore
import LedgerCrypto
import PBFTTestSupport
import XCTest
@testable import PBFT

final class ChainFollowerTests: XCTestCase {
    let verifier = MessageVerifier<TestBatch>(
        context: testContext, scheme: SimulatedSignatureScheme(replicaCount: 4), checkBatch: { _ in .valid })

    func batch(_ seq: UInt64) -> TestBatch {
        TestBatch(view: .zero, timestampMilliseconds: 1_000 + seq, requests: [TestRequest(id: seq)])
    }

    /// COMMITTED-BATCH for `seq` with commits from `signers`, through the verifier as the driver does.
    func pushed(_ seq: UInt64, signers: [Int] = [0, 1, 2]) throws -> Event<TestBatch> {
        let b = batch(seq)
        let commits = signers.map { signed(Commit(view: .zero, sequence: SequenceNumber(seq), digest: b.digest), by: $0) }
        let message = TMessage.committedBatch(
            CommitCertificate(view: .zero, sequence: SequenceNumber(seq), digest: b.digest, commits: commits), batch: b)
        return .message(try verifier.verify(message))
    }

    func checkpoint(_ seq: UInt64, by signer: Int, hash: Digest? = nil) throws -> Event<TestBatch> {
        let body = Checkpoint(sequence: SequenceNumber(seq), blockHash: hash ?? blockHash(SequenceNumber(seq), batch(seq).digest))
        return .message(try verifier.verify(TMessage.checkpoint(signed(body, by: signer))))
    }

    func started(at height: UInt64 = 0) -> (ChainFollower<TestBatch>, [Action<TestBatch>]) {
        var f = ChainFollower<TestBatch>(replicaCount: 4, window: 8, probeIntervalMs: 1_000)
        let recovered = RecoveredState<TestBatch>(
            records: [], lastExecuted: SequenceNumber(height), lastExecutedBlockHash: .zero, lastExecutedTimestampMilliseconds: 0)
        let actions = f.handle(.start(recovered), now: 0)
        return (f, actions)
    }

    /// Plays the driver: executes each `.commit` at once and feeds `.executed` back. Returns the committed sequences.
    func run(_ f: inout ChainFollower<TestBatch>, _ event: Event<TestBatch>, now: UInt64 = 0,
             transfers: inout [StateTransferTarget]) -> [UInt64] {
        var queue = [event]
        var committed: [UInt64] = []
        while !queue.isEmpty {
            for action in f.handle(queue.removeFirst(), now: now) {
                switch action {
                case let .commit(c):
                    committed.append(c.sequence.rawValue)
                    queue.append(.executed(c.sequence, blockHash: blockHash(c.sequence, c.batch.digest)))
                case let .requestStateTransfer(t): transfers.append(t)
                case .send, .broadcast, .persist, .relay, .evidence:
                    XCTFail("a follower never signs or sends consensus messages: \(action)")
                default: break
                }
            }
            XCTAssertEqual(f.checkInvariants(), [])
        }
        return committed
    }

    func testPushedBatchesCommitInOrderOnceEach() throws {
        var (f, startActions) = started()
        var transfers: [StateTransferTarget] = []
        XCTAssertTrue(startActions.contains { if case .requestStateTransfer(let t) = $0 { return !t.isAnchored }; return false },
                      "a follower asks what it missed when it starts")
        _ = run(&f, .stateTransferred(.zero, blockHash: .zero, timestampMilliseconds: 0), transfers: &transfers)
        XCTAssertEqual(try run(&f, pushed(1), transfers: &transfers), [1])
        XCTAssertEqual(try run(&f, pushed(1, signers: [1, 2, 3]), transfers: &transfers), [], "a second copy is ignored")
        XCTAssertEqual(try run(&f, pushed(2), transfers: &transfers), [2])
        XCTAssertEqual(f.lastExecuted, SequenceNumber(2))
        XCTAssertEqual(transfers, [], "nothing to fetch while pushes arrive in order")
    }

    func testAnEarlyBatchWaitsForTheGapWhichIsFetchedOnce() throws {
        var (f, _) = started()
        var transfers: [StateTransferTarget] = []
        _ = run(&f, .stateTransferred(.zero, blockHash: .zero, timestampMilliseconds: 0), transfers: &transfers)
        XCTAssertEqual(try run(&f, pushed(3), transfers: &transfers), [])
        XCTAssertEqual(transfers.count, 1)
        XCTAssertEqual(transfers.first?.isAnchored, false)
        XCTAssertEqual(try run(&f, pushed(4), transfers: &transfers), [])
        XCTAssertEqual(transfers.count, 1, "one transfer at a time")
        // The transfer brings 1 and 2: the held 3 and 4 follow at once, and another round is asked (it made progress).
        XCTAssertEqual(run(&f, .stateTransferred(SequenceNumber(2), blockHash: .zero, timestampMilliseconds: 0), transfers: &transfers), [3, 4])
        XCTAssertEqual(transfers.count, 2)
        // A round that brings nothing ends it.
        _ = run(&f, .stateTransferred(SequenceNumber(4), blockHash: .zero, timestampMilliseconds: 0), transfers: &transfers)
        XCTAssertEqual(transfers.count, 2)
    }

    func testABatchBeyondTheWindowIsNotHeld() throws {
        var (f, _) = started()
        var transfers: [StateTransferTarget] = []
        _ = run(&f, .stateTransferred(.zero, blockHash: .zero, timestampMilliseconds: 0), transfers: &transfers)
        XCTAssertEqual(try run(&f, pushed(9 + 8), transfers: &transfers), [])
        XCTAssertEqual(transfers.count, 1)
        _ = run(&f, .stateTransferred(SequenceNumber(16), blockHash: .zero, timestampMilliseconds: 0), transfers: &transfers)
        XCTAssertEqual(transfers.count, 2, "the transfer made progress: another round")
        XCTAssertEqual(try run(&f, pushed(17), transfers: &transfers), [], "held while a transfer writes the store")
        XCTAssertEqual(run(&f, .stateTransferred(SequenceNumber(16), blockHash: .zero, timestampMilliseconds: 0), transfers: &transfers),
                       [17], "committed once the round ends")
    }

    func testWeakQuorumOfCheckpointsAnchorsATransfer() throws {
        var (f, _) = started()
        var transfers: [StateTransferTarget] = []
        _ = run(&f, .stateTransferred(.zero, blockHash: .zero, timestampMilliseconds: 0), transfers: &transfers)
        _ = try run(&f, checkpoint(4, by: 0), transfers: &transfers)
        XCTAssertEqual(transfers, [], "one validator's word is not enough (f = 1)")
        _ = try run(&f, checkpoint(4, by: 1, hash: Hash.blake2b256([9])), transfers: &transfers)
        XCTAssertEqual(transfers, [], "two checkpoints that disagree vouch for nothing")
        _ = try run(&f, checkpoint(4, by: 1), transfers: &transfers)
        XCTAssertEqual(transfers, [], "a validator's first checkpoint for a sequence number is its only one")
        _ = try run(&f, checkpoint(4, by: 2), transfers: &transfers)
        XCTAssertEqual(transfers.count, 1)
        XCTAssertEqual(transfers.first?.isAnchored, true)
        XCTAssertEqual(transfers.first?.sequence, SequenceNumber(4))
        XCTAssertEqual(transfers.first.map { Set($0.checkpoints.map(\.signer)) }, [ReplicaID(0), ReplicaID(2)])
    }

    func testTheProbeAsksOnlyWhenNothingWasExecuted() throws {
        var (f, _) = started()
        var transfers: [StateTransferTarget] = []
        _ = run(&f, .stateTransferred(.zero, blockHash: .zero, timestampMilliseconds: 0), transfers: &transfers)
        _ = try run(&f, pushed(1), transfers: &transfers)
        _ = run(&f, .timerFired(.retransmit), now: 1_000, transfers: &transfers)
        XCTAssertEqual(transfers, [], "it executed since the last probe")
        _ = run(&f, .timerFired(.retransmit), now: 2_000, transfers: &transfers)
        XCTAssertEqual(transfers.count, 1, "silent for a probe interval: ask")
        XCTAssertEqual(transfers.first?.isAnchored, false)
    }

    func testTheIntakeFilterRefusesWhatTheFollowerWouldNotHoldBeforeAnySignatureCheck() throws {
        var (f, _) = started()
        var transfers: [StateTransferTarget] = []
        _ = run(&f, .stateTransferred(.zero, blockHash: .zero, timestampMilliseconds: 0), transfers: &transfers)
        _ = try run(&f, pushed(1), transfers: &transfers)
        func unverified(_ seq: UInt64) -> TMessage {
            let b = batch(seq)
            return .committedBatch(CommitCertificate(view: .zero, sequence: SequenceNumber(seq), digest: b.digest, commits: []), batch: b)
        }
        XCTAssertEqual(f.intakeFilter.refusal(unverified(1)), "already committed")
        XCTAssertNil(f.intakeFilter.refusal(unverified(2)))
        XCTAssertNil(f.intakeFilter.refusal(unverified(9)), "a window (8) above the last executed block is held")
        XCTAssertEqual(f.intakeFilter.refusal(unverified(10)), "beyond the window")
    }

    func testACertificateWithoutAQuorumNeverReachesTheFollower() throws {
        XCTAssertThrowsError(try pushed(1, signers: [0, 1]), "2 of 4 commits are not a certificate")
        XCTAssertThrowsError(try pushed(1, signers: [0, 0, 1]), "a signer counted twice is not a quorum")
    }
}
