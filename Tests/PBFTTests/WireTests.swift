// Checks the canonical encoding: every message round-trips, and truncated, extended or random input is rejected with an error (never a trap).
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

final class WireTests: XCTestCase {
    func sampleMessages() -> [TMessage] {
        let b = TestBatch(view: View(1), timestampMilliseconds: 77, requests: [TestRequest(id: 1), TestRequest(id: 2)])
        let pp = signed(PrePrepare(view: View(1), sequence: SequenceNumber(3), digest: b.digest), by: 1)
        let prepares = [2, 3].map { signed(Prepare(view: View(1), sequence: SequenceNumber(3), digest: b.digest), by: $0) }
        let cp = CheckpointProof(sequence: SequenceNumber(4), blockHash: b.digest, checkpoints: (0..<3).map {
            signed(Checkpoint(sequence: SequenceNumber(4), blockHash: b.digest), by: $0)
        })
        let vc = signed(ViewChange(newView: View(2), stableCheckpoint: cp,
                                   preparedCertificates: [PreparedCertificate(prePrepare: pp, prepares: prepares)]), by: 3)
        let nv = signed(NewView(view: View(2), viewChanges: [vc, vc], prePrepares: [pp]), by: 2)
        let commits = (0..<3).map { signed(Commit(view: View(1), sequence: SequenceNumber(3), digest: b.digest), by: $0) }
        return [
            .prePrepare(pp, batch: b), .prepare(prepares[0]), .commit(commits[0]),
            .checkpoint(cp.checkpoints[0]), .viewChange(vc), .newView(nv),
            .status(signed(Status(view: View(2), isChangingView: true, lastExecuted: SequenceNumber(9), stableCheckpoint: SequenceNumber(8)), by: 0)),
            .committedBatch(CommitCertificate(view: View(1), sequence: SequenceNumber(3), digest: b.digest, commits: commits), batch: b),
            .batchFetch(signed(BatchFetch(view: View(2), digests: [b.digest, pp.body.digest]), by: 1)),
            .fetchedBatch(b),
        ]
    }

    func testLogRecordsKeepTheBatchesTheMessagesNameByDigest() throws {
        let b = TestBatch(view: View(1), timestampMilliseconds: 77, requests: [TestRequest(id: 1), TestRequest(id: 2)])
        let other = TestBatch(view: View(1), timestampMilliseconds: 78, requests: [TestRequest(id: 3)])
        var records: [LogRecord<TestBatch>] = []
        for m in sampleMessages() {
            switch m {
            case let .prePrepare(s, batch): records.append(.prePrepare(s, batch: batch))
            case let .prepare(s): records.append(.prepare(s))
            case let .commit(s): records.append(.commit(s))
            case let .checkpoint(s): records.append(.checkpoint(s))
            case let .viewChange(s):
                records.append(.viewChange(s, batches: [b, other]))
                records.append(.viewChange(s, batches: []))
            case let .newView(s): records.append(.newView(s, batches: [b]))
            case .status, .committedBatch, .batchFetch, .fetchedBatch: break
            }
        }
        XCTAssertEqual(records.count, 7)
        for r in records {
            let bytes = r.encoded()
            XCTAssertEqual(try LogRecord<TestBatch>.decode(bytes, replicaCount: 4, window: 8), r)
            XCTAssertThrowsError(try LogRecord<TestBatch>.decode(bytes + [0], replicaCount: 4, window: 8))
            XCTAssertThrowsError(try LogRecord<TestBatch>.decode(Array(bytes.dropLast()), replicaCount: 4, window: 8))
        }
        // A VIEW-CHANGE record is the message followed by its batches, as before batches left the message
        // (a consensus log written by an older build still reads back).
        guard case let .viewChange(vc, _) = records.first(where: { if case .viewChange = $0 { true } else { false } }) else {
            return XCTFail("no view-change record")
        }
        var w = ByteWriter(capacity: 128)
        TMessage.encodeBatches([b, other], into: &w)
        XCTAssertEqual(LogRecord<TestBatch>.viewChange(vc, batches: [b, other]).encoded(), TMessage.viewChange(vc).encoded() + w.bytes)
        // The message itself refuses trailing batches.
        XCTAssertThrowsError(try TMessage.decode(TMessage.viewChange(vc).encoded() + w.bytes, replicaCount: 4, window: 8))
    }

    func testEveryMessageRoundTripsAndVerifies() throws {
        let verifier = MessageVerifier<TestBatch>(context: testContext, scheme: SimulatedSignatureScheme(replicaCount: 4), checkBatch: { _ in .valid })
        for m in sampleMessages() {
            let bytes = m.encoded()
            XCTAssertEqual(try TMessage.decode(bytes, replicaCount: 4, window: 8), m, m.kindName)
            XCTAssertNoThrow(try verifier.decodeAndVerify(bytes, window: 8), m.kindName)
        }
    }

    func testTruncatedAndExtendedInputIsRejected() {
        for m in sampleMessages() {
            let bytes = m.encoded()
            for cut in 0..<bytes.count {
                XCTAssertThrowsError(try TMessage.decode(Array(bytes[..<cut]), replicaCount: 4, window: 8), "\(m.kindName) cut at \(cut)")
            }
            XCTAssertThrowsError(try TMessage.decode(bytes + [0], replicaCount: 4, window: 8))
        }
    }

    func testRandomBytesNeverTrap() {
        var rng = SplitMix(seed: 7)
        for _ in 0..<5_000 {
            let length = Int(rng.next() % 300)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if !bytes.isEmpty { bytes[0] = UInt8(1 + rng.next() % 8) }
            _ = try? TMessage.decode(bytes, replicaCount: 4, window: 8)
        }
        // Mutations of valid messages either fail to decode or fail to verify (or are still the same message).
        let verifier = MessageVerifier<TestBatch>(context: testContext, scheme: SimulatedSignatureScheme(replicaCount: 4), checkBatch: { _ in .valid })
        for m in sampleMessages() {
            let bytes = m.encoded()
            for _ in 0..<200 {
                var mutated = bytes
                let i = Int(rng.next() % UInt64(bytes.count))
                mutated[i] ^= UInt8(1 + rng.next() % 255)
                guard let decoded = try? TMessage.decode(mutated, replicaCount: 4, window: 8), decoded != m else { continue }
                if case let .fetchedBatch(original) = m, case let .fetchedBatch(changed) = decoded {
                    // Unsigned: what binds it is its digest, which a replica must have asked for.
                    XCTAssertNotEqual(changed.digest, original.digest, "fetched-batch mutated at \(i)")
                } else {
                    XCTAssertThrowsError(try verifier.verify(decoded), "\(m.kindName) mutated at \(i)")
                }
            }
        }
    }

    func testCountsAboveTheBoundsAreRefusedBeforeAllocation() {
        // A commit certificate claiming 60000 commits for 4 validators.
        var w = ByteWriter(capacity: 128)
        w.write(WireKind.committedBatch.rawValue); w.write(View.zero); w.write(SequenceNumber(1)); w.write(Digest.zero); w.write(UInt16(60_000))
        XCTAssertThrowsError(try TMessage.decode(w.bytes, replicaCount: 4, window: 8)) { error in
            guard case PBFTError.countTooLarge = error else { return XCTFail("\(error)") }
        }
    }

    func testBadSignatureOrUnknownSignerIsRejectedByTheVerifier() {
        let verifier = MessageVerifier<TestBatch>(context: testContext, scheme: SimulatedSignatureScheme(replicaCount: 4), checkBatch: { _ in .valid })
        let p = signed(Prepare(view: .zero, sequence: SequenceNumber(1), digest: .zero), by: 1)
        XCTAssertThrowsError(try verifier.verify(.prepare(Signed(body: p.body, epoch: p.epoch, signer: ReplicaID(2), signature: p.signature))))
        XCTAssertThrowsError(try verifier.verify(.prepare(Signed(body: p.body, epoch: p.epoch, signer: ReplicaID(9), signature: p.signature))))
        let otherChain = Signed.make(p.body, signer: ReplicaID(1), using: SimulatedSigner(replica: ReplicaID(1)), context: SigningContext(chainID: "other", epoch: 0))
        XCTAssertThrowsError(try verifier.verify(.prepare(otherChain)))
        // A batch that fails the ledger check, or does not match its digest.
        let strict = MessageVerifier<TestBatch>(context: testContext, scheme: SimulatedSignatureScheme(replicaCount: 4), checkBatch: { _ in .invalid("no") })
        let b = TestBatch(view: .zero, timestampMilliseconds: 5, requests: [TestRequest(id: 1)])
        let pp = signed(PrePrepare(view: .zero, sequence: SequenceNumber(1), digest: b.digest), by: 0)
        XCTAssertThrowsError(try strict.verify(.prePrepare(pp, batch: b)))
        XCTAssertNoThrow(try verifier.verify(.prePrepare(pp, batch: b)))
        XCTAssertThrowsError(try verifier.verify(.prePrepare(pp, batch: TestBatch.null)))
    }

    func testEd25519SchemeSignsAndVerifies() throws {
        let keys = try (0..<4).map { i in try SigningKey(seed: [UInt8](repeating: UInt8(i + 1), count: 32)) }
        let scheme = Ed25519ValidatorKeys(publicKeys: keys.map(\.publicKey))
        let m = Signed.make(Commit(view: .zero, sequence: SequenceNumber(1), digest: .zero), signer: ReplicaID(2),
                            using: Ed25519MessageSigner(key: keys[2]), context: testContext)
        XCTAssertTrue(m.isValid(scheme: scheme, context: testContext))
        XCTAssertFalse(Signed(body: m.body, epoch: m.epoch, signer: ReplicaID(1), signature: m.signature).isValid(scheme: scheme, context: testContext))
    }

    func testConfigurationValidation() {
        XCTAssertNoThrow(try testConfig(0).validate())
        var c = testConfig(0); c.window = 6  // not a multiple of K = 4
        XCTAssertThrowsError(try c.validate())
        c = testConfig(0); c.replicaID = ReplicaID(4)
        XCTAssertThrowsError(try c.validate())
        c = testConfig(0); c.chainID = ""
        XCTAssertThrowsError(try c.validate())
        c = testConfig(0, n: 7)
        XCTAssertNoThrow(try c.validate())
        XCTAssertEqual(c.f, 2); XCTAssertEqual(c.quorum, 5); XCTAssertEqual(c.weakQuorum, 3)
        XCTAssertEqual(c.quorumRule, QuorumRule(7))
        // Any n: between sizes 3f + 1 the quorum is ⌈(n + f + 1) / 2⌉, larger than 2f + 1.
        for (n, f, quorum) in [(2, 0, 2), (3, 0, 2), (5, 1, 4), (6, 1, 4), (8, 2, 6)] {
            c = testConfig(0, n: n)
            XCTAssertNoThrow(try c.validate(), "n = \(n)")
            XCTAssertEqual(c.f, f, "n = \(n)"); XCTAssertEqual(c.quorum, quorum, "n = \(n)")
            XCTAssertEqual(c.backupPrepares, quorum - 1, "n = \(n)")
        }
        // The self-test's override: within 1...n, and it replaces the rule's quorum everywhere the replica counts.
        c = testConfig(0, n: 5); c.quorumOverride = 3
        XCTAssertNoThrow(try c.validate()); XCTAssertEqual(c.quorum, 3); XCTAssertEqual(c.backupPrepares, 2)
        for bad in [0, 6] {
            c.quorumOverride = bad
            XCTAssertThrowsError(try c.validate(), "override \(bad)")
        }
    }
}

/// A tiny deterministic generator for fuzz-style tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class NewViewSizeTests: XCTestCase {
    /// The NEW-VIEW the bound describes, built and encoded: it must be exactly that size.
    func worstNewView(n: Int, window: UInt64) -> TMessage {
        let digest = TestBatch(view: .zero, timestampMilliseconds: 1, requests: [TestRequest(id: 1)]).digest
        let proof = CheckpointProof(sequence: .zero, blockHash: digest, checkpoints: (0..<n).map {
            signed(Checkpoint(sequence: .zero, blockHash: digest), by: $0)
        })
        let certificates = (1...window).map { s in
            PreparedCertificate(
                prePrepare: signed(PrePrepare(view: .zero, sequence: SequenceNumber(s), digest: digest), by: 0),
                prepares: (1..<n).map { signed(Prepare(view: .zero, sequence: SequenceNumber(s), digest: digest), by: $0) })
        }
        let viewChanges = (0..<n).map {
            signed(ViewChange(newView: View(1), stableCheckpoint: proof, preparedCertificates: certificates), by: $0)
        }
        let prePrepares = (1...window).map { signed(PrePrepare(view: View(1), sequence: SequenceNumber($0), digest: digest), by: 1) }
        return .newView(signed(NewView(view: View(1), viewChanges: viewChanges, prePrepares: prePrepares), by: 1))
    }

    func testTheBoundIsTheSizeOfTheLargestHonestNewView() {
        for (n, window) in [(4, UInt64(8)), (4, 32), (7, 16), (10, 4)] {
            XCTAssertEqual(worstNewView(n: n, window: window).encoded().count,
                           PBFTLimits.largestNewViewBytes(replicaCount: n, window: window), "n \(n), window \(window)")
        }
    }

    func testTheDefaultGenesisFitsTheFrameLimitAndLargeSetsDoNot() {
        let frame = 8 * 1_024 * 1_024
        XCTAssertLessThan(PBFTLimits.largestNewViewBytes(replicaCount: 4, window: 400), 1_000_000)
        XCTAssertLessThanOrEqual(PBFTLimits.largestNewViewBytes(replicaCount: 13, window: 400), frame)
        XCTAssertGreaterThan(PBFTLimits.largestNewViewBytes(replicaCount: 16, window: 400), frame)
        let w = PBFTLimits.largestWindow(replicaCount: 16, fittingIn: frame)
        XCTAssertLessThanOrEqual(PBFTLimits.largestNewViewBytes(replicaCount: 16, window: w), frame)
        XCTAssertGreaterThan(PBFTLimits.largestNewViewBytes(replicaCount: 16, window: w + 1), frame)
        XCTAssertEqual(PBFTLimits.largestNewViewBytes(replicaCount: Int.max, window: UInt64.max),
                       PBFTLimits.largestNewViewBytes(replicaCount: PBFTLimits.maxReplicaCount, window: PBFTLimits.maxWindow))
    }
}
