// Checks epochs (decision 0038) on hand-driven clusters: the hard stop at the epoch's last sequence number `a`, the
// one `epochComplete` per replica, the next epoch starting fresh at `a`, and messages of one epoch refused in another.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

/// A signature scheme that counts the signatures it checks.
final class CountingSignatureScheme: SignatureScheme, @unchecked Sendable {
    let inner: SimulatedSignatureScheme
    /// Signatures checked so far.
    var checks = 0

    init(replicaCount: Int) { inner = SimulatedSignatureScheme(replicaCount: replicaCount) }

    var replicaCount: Int { inner.replicaCount }

    func isValid(_ signature: Signature, by replica: ReplicaID, over bytes: [UInt8]) -> Bool {
        checks += 1
        return inner.isValid(signature, by: replica, over: bytes)
    }
}

final class EpochTests: XCTestCase {
    let epoch1 = SigningContext(chainID: testChain, epoch: 1)

    /// `a` for a change committed in block `s` with the test cluster's window 8 and checkpoint interval 4.
    func lastSequence(changeAt s: UInt64) -> SequenceNumber {
        EpochBoundary.lastSequence(changeCommittedAt: SequenceNumber(s), window: 8, checkpointInterval: 4)!
    }

    /// Every replica committed exactly 1...a, emitted `epochComplete` once for the same block hash, and stayed in
    /// `view` although requests still wait (they belong to the next epoch).
    func assertEnded(_ c: Cluster, at a: SequenceNumber, replicas: Range<Int> = 0..<4, view: View = .zero,
                     file: StaticString = #filePath, line: UInt = #line) {
        for i in replicas {
            XCTAssertEqual(c.committed[i].map(\.sequence), (1...a.rawValue).map(SequenceNumber.init), "replica \(i)", file: file, line: line)
            XCTAssertEqual(c.replicas[i].epochLastSequence, a, "replica \(i)", file: file, line: line)
            XCTAssertTrue(c.replicas[i].isEpochComplete, "replica \(i)", file: file, line: line)
            XCTAssertEqual(c.completions[i].count, 1, "replica \(i) completes once", file: file, line: line)
            XCTAssertEqual(c.completions[i].first?.lastSequence, a, "replica \(i)", file: file, line: line)
            XCTAssertEqual(c.completions[i].first?.blockHash, c.committed[i].last.map { blockHash(a, $0.batch.digest) },
                           "replica \(i)", file: file, line: line)
            XCTAssertEqual(c.replicas[i].view, view, "replica \(i): no view change for requests of the next epoch", file: file, line: line)
            XCTAssertFalse(c.replicas[i].pendingRequests.isEmpty, "replica \(i) still holds requests", file: file, line: line)
            let votesAbove = c.persisted[i].filter { record in
                switch record {
                case .prePrepare, .prepare, .commit: record.sequence.map { $0 > a } ?? false
                default: false
                }
            }
            XCTAssertEqual(votesAbove.count, 0, "replica \(i) signed no vote above \(a)", file: file, line: line)
        }
        XCTAssertEqual(Set(replicas.compactMap { c.completions[$0].first?.blockHash }).count, 1, "one block hash at a", file: file, line: line)
    }

    // (a) The stop: every replica commits exactly up to a, nothing above, and completes the epoch once.
    func testEveryReplicaCommitsExactlyUpToTheEpochsLastSequenceAndCompletesOnce() throws {
        var c = Cluster()  // K = 4, L = 8, two requests per batch
        let a = lastSequence(changeAt: 5)
        XCTAssertEqual(a, SequenceNumber(16))
        c.epochChange = (SequenceNumber(5), a)
        // Clients keep submitting: far more than the epoch's 16 slots of two requests can take.
        var next: UInt64 = 1
        for _ in 0..<20 {
            c.submit(Array(next..<next + 5))
            next += 5
            c.advance(50)
        }
        c.advance(10_000)  // ten view-change timeouts: the requests left must not cost a view change
        assertEnded(c, at: a)
        let completion = try XCTUnwrap(c.completions[0].first)
        XCTAssertEqual(completion.epoch, 0)
        XCTAssertNoThrow(try completion.proof.verify(scheme: SimulatedSignatureScheme(replicaCount: 4), context: testContext, quorum: 3))
        // What is left waits, oldest first, to be moved into the next epoch's replica; nothing is lost or repeated.
        let committed = c.committedIDs(0)
        let pending = c.replicas[0].pendingRequests.map(\.id)
        XCTAssertEqual(committed.count, Set(committed).count)
        XCTAssertTrue(Set(pending).isDisjoint(with: committed))
        XCTAssertEqual(Set(pending).union(committed), Set(1..<next))
        XCTAssertEqual(pending, pending.sorted(), "oldest first")
    }

    // Once every slot up to a is taken, the requests still pending wait for the next epoch: they make no backup
    // suspect the primary while checkpoint a is not yet stable.
    func testRequestsOnlyTheNextEpochCanOrderCostNoViewChange() {
        var c = Cluster()
        let a = lastSequence(changeAt: 4)
        c.epochChange = (SequenceNumber(4), a)
        c.filter = { _, _, m in if case let .checkpoint(s) = m { s.body.sequence != a } else { true } }
        c.submit(Array(1...40))
        c.advance(10_000)
        for i in 0..<4 {
            XCTAssertEqual(c.committed[i].last?.sequence, a, "replica \(i)")
            XCTAssertEqual(c.replicas[i].lowWatermark, SequenceNumber(8), "checkpoint a is not stable yet")
            XCTAssertEqual(c.replicas[i].view, .zero, "replica \(i) suspects nobody")
            XCTAssertTrue(c.completions[i].isEmpty)
        }
        // The checkpoints at a arrive: the epoch completes everywhere.
        c.filter = { _, _, _ in true }
        for i in 0..<4 {
            for case let .checkpoint(m) in c.persisted[i] where m.body.sequence == a {
                for j in 0..<4 where j != i { c.deliver(.checkpoint(m), to: j) }
            }
        }
        assertEnded(c, at: a)
    }

    // (b) The next epoch: the four and a fifth validator start fresh at a and commit beyond it with quorum 4 of 5.
    func testTheNextEpochStartsFreshAtTheLastSequenceWithTheNewSet() throws {
        var old = Cluster()
        let a = lastSequence(changeAt: 5)
        old.epochChange = (SequenceNumber(5), a)
        old.submit(Array(1...60))
        old.advance(100)
        assertEnded(old, at: a)
        let completion = try XCTUnwrap(old.completions[0].first)
        let moved = old.replicas[0].pendingRequests

        var new = Cluster(n: 5, start: false) { config in
            config.epoch = 1
            config.epochStart = completion.nextEpochStart
        }
        new.verifier = MessageVerifier(context: epoch1, scheme: SimulatedSignatureScheme(replicaCount: 5), checkBatch: { _ in .valid })
        new.now = old.now
        let timestamp = try XCTUnwrap(old.committed[0].last).batch.timestampMilliseconds
        for i in 0..<5 {
            new.handle(i, .start(RecoveredState(records: [], lastExecuted: a, lastExecutedBlockHash: completion.blockHash,
                                                lastExecutedTimestampMilliseconds: timestamp)))
            XCTAssertEqual(new.replicas[i].lowWatermark, a, "replica \(i) starts with a as its stable checkpoint")
            XCTAssertEqual(new.replicas[i].highWatermark, SequenceNumber(a.rawValue + 8))
            XCTAssertEqual(new.replicas[i].view, .zero)
            XCTAssertEqual(new.replicas[i].configuration.quorum, 4)
        }
        XCTAssertTrue(new.replicas[0].isPrimary, "view 0's primary is validator 0 of the new set")
        new.submit(moved.map(\.id))
        new.advance(100)
        for i in 0..<5 {
            let sequences = new.committed[i].map(\.sequence)
            XCTAssertEqual(sequences.first, SequenceNumber(a.rawValue + 1), "replica \(i)")
            XCTAssertEqual(sequences, (a.rawValue + 1...a.rawValue + UInt64(sequences.count)).map(SequenceNumber.init), "replica \(i)")
            XCTAssertEqual(Set(new.committedIDs(i)), Set(moved.map(\.id)), "replica \(i) ordered every moved request")
            for block in new.committed[i] {
                XCTAssertEqual(block.proposer, ReplicaID(0))
                XCTAssertGreaterThanOrEqual(Set(block.certificate.commits.map(\.signer)).count, 4)
                XCTAssertNoThrow(try block.certificate.verify(scheme: SimulatedSignatureScheme(replicaCount: 5), context: epoch1))
            }
        }
        // Across the boundary every request committed exactly once.
        let all = old.committedIDs(0) + new.committedIDs(0)
        XCTAssertEqual(all.count, Set(all).count)
        XCTAssertEqual(Set(all), Set(1...60))
        // An epoch-1 certificate is not one of epoch 0.
        let certificate = try XCTUnwrap(new.committed[4].first).certificate
        XCTAssertThrowsError(try certificate.verify(scheme: SimulatedSignatureScheme(replicaCount: 5), context: testContext)) {
            XCTAssertEqual($0 as? PBFTError, .epochAhead(message: 1, local: 0))
        }
    }

    // (c) A message of another epoch is refused before any signature is checked, saying who is behind.
    func testAMessageOfAnotherEpochIsRefusedBeforeItsSignatureIsChecked() {
        let scheme = CountingSignatureScheme(replicaCount: 4)
        let inEpoch0 = MessageVerifier<TestBatch>(context: testContext, scheme: scheme, checkBatch: { _ in .valid })
        let inEpoch1 = MessageVerifier<TestBatch>(context: epoch1, scheme: scheme, checkBatch: { _ in .valid })
        let digest = Hash.blake2b256([1])
        let prepare0 = signed(Prepare(view: .zero, sequence: SequenceNumber(17), digest: digest), by: 1)
        let prepare1 = Signed.make(Prepare(view: .zero, sequence: SequenceNumber(17), digest: digest), signer: ReplicaID(1),
                                   using: SimulatedSigner(replica: ReplicaID(1)), context: epoch1)
        func refusal(_ verifier: MessageVerifier<TestBatch>, _ m: TMessage) -> PBFTError? {
            do { _ = try verifier.verify(m); return nil } catch { return error }
        }

        XCTAssertEqual(refusal(inEpoch1, .prepare(prepare0)), .epochBehind(message: 0, local: 1))
        XCTAssertEqual(refusal(inEpoch0, .prepare(prepare1)), .epochAhead(message: 1, local: 0))
        var garbage = prepare0
        garbage.signature = .zero
        XCTAssertEqual(refusal(inEpoch1, .prepare(garbage)), .epochBehind(message: 0, local: 1), "the epoch, not the signature")
        let checkpoint0 = signed(Checkpoint(sequence: SequenceNumber(16), blockHash: digest), by: 2)
        let certificate0 = CommitCertificate(view: .zero, sequence: SequenceNumber(3), digest: digest,
                                             commits: (0..<3).map { signed(Commit(view: .zero, sequence: SequenceNumber(3), digest: digest), by: $0) })
        XCTAssertEqual(refusal(inEpoch1, .checkpoint(checkpoint0)), .epochBehind(message: 0, local: 1))
        XCTAssertEqual(refusal(inEpoch1, .committedBatch(certificate0, batch: .null)), .epochBehind(message: 0, local: 1))
        XCTAssertEqual(scheme.checks, 0, "no signature was checked")

        // An epoch-1 VIEW-CHANGE carrying a checkpoint proof signed in epoch 0 is malformed, also before any signature.
        let proof0 = CheckpointProof(sequence: SequenceNumber(16), blockHash: digest,
                                     checkpoints: (0..<3).map { signed(Checkpoint(sequence: SequenceNumber(16), blockHash: digest), by: $0) })
        let viewChange = Signed.make(ViewChange(newView: View(1), stableCheckpoint: proof0, preparedCertificates: []), signer: ReplicaID(3),
                                     using: SimulatedSigner(replica: ReplicaID(3)), context: epoch1)
        guard case .mixedEpochs? = refusal(inEpoch1, .viewChange(viewChange)) else { return XCTFail("expected mixedEpochs") }
        XCTAssertEqual(scheme.checks, 0)

        // The same garbage signature in the receiver's epoch is a bad signature, found by checking it.
        var garbage1 = prepare1
        garbage1.signature = .zero
        XCTAssertEqual(refusal(inEpoch1, .prepare(garbage1)), .badSignature(what: "prepare at n17", signer: ReplicaID(1)))
        XCTAssertEqual(scheme.checks, 1)
        XCTAssertNil(refusal(inEpoch1, .prepare(prepare1)))
        XCTAssertEqual(scheme.checks, 2)

        // A replica of epoch 1 never sees the epoch-0 vote: the driver's verifier refuses it.
        var c = Cluster(start: false) { $0.epoch = 1 }
        c.verifier = MessageVerifier(context: epoch1, scheme: SimulatedSignatureScheme(replicaCount: 4), checkBatch: { _ in .valid })
        for i in 0..<4 { c.handle(i, .start(.genesis)) }
        let pp = signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: TestBatch.null.digest), by: 0)
        c.deliver(.prePrepare(pp, batch: .null), to: 1)
        XCTAssertEqual(c.replicas[1].logEntryCount, 0)
        XCTAssertFalse(c.persisted[1].contains { if case .prepare = $0 { true } else { false } })
    }

    // (d) The same body signed for epoch 0 does not verify for epoch 1, even relabelled.
    func testABodySignedForOneEpochDoesNotVerifyForTheNext() {
        let scheme = SimulatedSignatureScheme(replicaCount: 4)
        let body = Commit(view: View(2), sequence: SequenceNumber(9), digest: Hash.blake2b256([9]))
        XCTAssertNotEqual(body.canonicalSigningBytes(testContext), body.canonicalSigningBytes(epoch1))
        let commit0 = signed(body, by: 2)
        XCTAssertTrue(commit0.isValid(scheme: scheme, context: testContext))
        XCTAssertFalse(commit0.isValid(scheme: scheme, context: epoch1))
        let relabelled = Signed(body: body, epoch: 1, signer: commit0.signer, signature: commit0.signature)
        XCTAssertFalse(relabelled.isValid(scheme: scheme, context: epoch1))
        let inEpoch1 = MessageVerifier<TestBatch>(context: epoch1, scheme: scheme, checkBatch: { _ in .valid })
        XCTAssertThrowsError(try inEpoch1.verify(.commit(relabelled))) {
            XCTAssertEqual($0 as? PBFTError, .badSignature(what: "commit at n9", signer: ReplicaID(2)))
        }

        // Certificates and evidence are checked against an epoch the same way.
        let commits = (0..<3).map { signed(Commit(view: View(2), sequence: SequenceNumber(9), digest: body.digest), by: $0) }
        let certificate = CommitCertificate(view: View(2), sequence: SequenceNumber(9), digest: body.digest, commits: commits)
        XCTAssertNoThrow(try certificate.verify(scheme: scheme, context: testContext))
        XCTAssertThrowsError(try certificate.verify(scheme: scheme, context: epoch1)) {
            XCTAssertEqual($0 as? PBFTError, .epochBehind(message: 0, local: 1))
        }
        var moved = certificate
        moved.commits = commits.map { Signed(body: $0.body, epoch: 1, signer: $0.signer, signature: $0.signature) }
        XCTAssertThrowsError(try moved.verify(scheme: scheme, context: epoch1)) {
            guard case .badSignature? = $0 as? PBFTError else { return XCTFail("\($0)") }
        }
        let other = signed(Commit(view: View(2), sequence: SequenceNumber(9), digest: Hash.blake2b256([8])), by: 2)
        let evidence = EquivocationEvidence(first: .commit(commit0), second: .commit(other))
        XCTAssertTrue(evidence.verify(scheme: scheme, context: testContext))
        XCTAssertFalse(evidence.verify(scheme: scheme, context: epoch1))
    }

    // (e) A Byzantine primary proposing a + 1 in the epoch is refused by every backup (so are votes there).
    func testEveryBackupRefusesAProposalAboveTheEpochsLastSequence() throws {
        var c = Cluster()
        let a = lastSequence(changeAt: 4)
        XCTAssertEqual(a, SequenceNumber(12))
        c.epochChange = (SequenceNumber(4), a)
        c.submit(Array(1...16))  // eight slots: checkpoint 8 becomes stable, the window is (8, 16] and holds a + 1
        c.deliverAll()
        for i in 0..<4 {
            XCTAssertEqual(c.committed[i].last?.sequence, SequenceNumber(8))
            XCTAssertEqual(c.replicas[i].lowWatermark, SequenceNumber(8))
            XCTAssertEqual(c.replicas[i].epochLastSequence, a)
        }
        let above = SequenceNumber(a.rawValue + 1)
        let batch = TestBatch(view: .zero, timestampMilliseconds: c.now, requests: [TestRequest(id: 999)])
        let prePrepare = signed(PrePrepare(view: .zero, sequence: above, digest: batch.digest), by: 0)
        let prepare = signed(Prepare(view: .zero, sequence: above, digest: batch.digest), by: 1)
        let commit = signed(Commit(view: .zero, sequence: above, digest: batch.digest), by: 1)
        for i in 1..<4 {
            let rejected = c.replicas[i].counters.rejected
            c.deliver(.prePrepare(prePrepare, batch: batch), to: i)
            if i != 1 {
                c.deliver(.prepare(prepare), to: i)
                c.deliver(.commit(commit), to: i)
            }
            XCTAssertEqual(c.replicas[i].counters.rejected, rejected + (i == 1 ? 1 : 3), "replica \(i)")
            XCTAssertTrue(c.notes[i].contains(.rejected(kind: "pre-prepare", from: ReplicaID(0),
                                                        reason: "n13 is above the epoch's last sequence number n12")), "replica \(i)")
            XCTAssertNil(c.replicas[i].state.entries[above], "replica \(i) keeps nothing above a")
        }
        c.deliverAll()
        for i in 0..<4 {
            XCTAssertFalse(c.persisted[i].contains { $0.sequence == above }, "replica \(i) signed nothing at a + 1")
        }
        // The honest epoch runs on to a and ends there.
        c.submit(Array(17...40))
        c.advance(5_000)
        assertEnded(c, at: a)
    }

    // (f) A view change just before a (the primary crashed with slots in flight) ends in the epoch: its NEW-VIEW
    // assigns nothing above a, and checkpoint a still becomes stable.
    func testAViewChangeJustBeforeTheEndAssignsNothingAboveIt() throws {
        var c = Cluster()
        let a = lastSequence(changeAt: 4)
        c.epochChange = (SequenceNumber(4), a)
        // View 0's COMMITs above 9 are lost: slots 10...12 prepare but do not commit while the primary lives.
        c.filter = { _, _, m in
            if case let .commit(s) = m { return s.body.view != .zero || s.body.sequence <= SequenceNumber(9) }
            return true
        }
        c.submit(Array(1...40))
        c.deliverAll()
        for i in 1..<4 {
            XCTAssertEqual(c.committed[i].last?.sequence, SequenceNumber(9), "replica \(i)")
            XCTAssertNotNil(c.replicas[i].state.entries[a]?.prePrepare, "replica \(i) holds the proposal at a")
            XCTAssertNil(c.replicas[i].state.entries[SequenceNumber(a.rawValue + 1)], "nothing proposed above a")
        }
        // The primary crashes with 10...12 in flight.
        c.filter = { from, to, _ in from != 0 && to != 0 }
        c.advance(20_000)
        assertEnded(c, at: a, replicas: 1..<4, view: View(1))
        for i in 1..<4 {
            let installed = c.notes[i].compactMap { note -> SequenceNumber? in
                if case let .newViewInstalled(view, _, maxS) = note, view == View(1) { maxS } else { nil }
            }
            XCTAssertEqual(installed, [a], "replica \(i): the NEW-VIEW re-issues up to a, nothing above")
            XCTAssertTrue(c.committed[i].suffix(3).allSatisfy { $0.certificate.view == View(1) }, "10...12 commit in view 1")
        }
    }

    // (g) A replica that knows a from its configuration (a restart after the change block executed) behaves as one fed
    // the event.
    func testAReplicaRestartedWithTheLastSequenceBehavesAsOneFedTheEvent() throws {
        var c = Cluster()
        let a = lastSequence(changeAt: 5)
        c.epochChange = (SequenceNumber(5), a)
        c.submit(Array(1...16))
        c.deliverAll()
        XCTAssertEqual(c.committed[3].last?.sequence, SequenceNumber(8), "replica 3 executed the change block 5")
        // Restart replica 3 from its log, with a from its configuration: nothing feeds it the event again.
        var config = c.replicas[3].configuration
        config.lastSequence = a
        c.restart(3, configuration: config)
        XCTAssertEqual(c.replicas[3].epochLastSequence, a)
        c.submit(Array(17...60))
        c.advance(10_000)
        assertEnded(c, at: a)

        // Restarted again after the epoch completed: checkpoint a is stable in its log, so it completes at once.
        c.completions[3] = []
        c.restart(3, configuration: config)
        XCTAssertEqual(c.replicas[3].lastExecuted, a)
        XCTAssertEqual(c.completions[3].map(\.blockHash), [c.completions[0][0].blockHash])

        // Restarted with a stable in its log but its state behind a: the epoch completes once the state is back.
        c.completions[3] = []
        c.replicas[3] = try Replica(configuration: config, signer: SimulatedSigner(replica: ReplicaID(3)))
        let back = c.committed[3][11]
        c.handle(3, .start(RecoveredState(records: c.persisted[3], lastExecuted: back.sequence,
                                          lastExecutedBlockHash: blockHash(back.sequence, back.batch.digest),
                                          lastExecutedTimestampMilliseconds: back.batch.timestampMilliseconds)))
        XCTAssertEqual(c.stateTransfers[3].last?.sequence, a)
        XCTAssertTrue(c.completions[3].isEmpty, "block a is not executed here yet")
        let end = try XCTUnwrap(c.committed[3].last)
        c.handle(3, .stateTransferred(a, blockHash: blockHash(a, end.batch.digest), timestampMilliseconds: end.batch.timestampMilliseconds))
        XCTAssertEqual(c.completions[3].map(\.blockHash), [c.completions[0][0].blockHash])
        // And a proposal above a is refused as by a replica fed the event.
        let batch = TestBatch(view: .zero, timestampMilliseconds: c.now, requests: [TestRequest(id: 999)])
        c.deliver(.prePrepare(signed(PrePrepare(view: .zero, sequence: SequenceNumber(a.rawValue + 1), digest: batch.digest), by: 0),
                              batch: batch), to: 3)
        XCTAssertTrue(c.notes[3].contains(.rejected(kind: "pre-prepare", from: ReplicaID(0),
                                                    reason: "n17 is above the epoch's last sequence number n16")))
    }

    func testTheEpochsEndsMustBeCheckpointsInOrder() {
        var config = testConfig(0)
        config.lastSequence = SequenceNumber(10)
        XCTAssertThrowsError(try config.validate(), "not a multiple of K = 4")
        config.lastSequence = SequenceNumber(12)
        XCTAssertNoThrow(try config.validate())
        config.epochStart = EpochStart(sequence: SequenceNumber(12), blockHash: .zero)
        XCTAssertThrowsError(try config.validate(), "the last sequence must be above the start")
        config.epochStart = EpochStart(sequence: SequenceNumber(6), blockHash: .zero)
        config.lastSequence = nil
        XCTAssertThrowsError(try config.validate(), "the start is a checkpoint")
        // The driver's event is checked the same way, and a second, different end is refused.
        var c = Cluster()
        c.handle(1, .epochEnds(lastSequence: SequenceNumber(10)))
        XCTAssertNil(c.replicas[1].epochLastSequence)
        c.handle(1, .epochEnds(lastSequence: SequenceNumber(12)))
        c.handle(1, .epochEnds(lastSequence: SequenceNumber(16)))
        XCTAssertEqual(c.replicas[1].epochLastSequence, SequenceNumber(12))
        XCTAssertEqual(c.replicas[1].counters.rejected, 2)
    }
}
