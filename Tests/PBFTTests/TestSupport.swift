// Test support: a cheap batch type and a hand-driven cluster of replicas that delivers actions between them.
import LedgerCore
import LedgerCrypto
import XCTest
@testable import PBFT
import PBFTTestSupport

/// A request identified by a number.
struct TestRequest: ConsensusRequest {
    var id: UInt64
    var requestDigest: Digest { Hash.blake2b256(withUnsafeBytes(of: id.bigEndian) { Array($0) }) }
    var encodedByteCount: Int { 8 }
    /// Each request is its own lane, so batches take requests in arrival order.
    var lane: UInt64 { id }
    var laneOrder: UInt64 { 0 }
}

/// A batch of numbered requests.
struct TestBatch: ConsensusBatch {
    var view: View
    var timestampMilliseconds: UInt64
    var requests: [TestRequest]
    var digest: Digest { Hash.blake2b256(encoded()) }
    var isNull: Bool { view == .zero && timestampMilliseconds == 0 && requests.isEmpty }
    static var null: TestBatch { TestBatch(view: .zero, timestampMilliseconds: 0, requests: []) }

    static func make(view: View, timestampMilliseconds: UInt64, requests: [TestRequest]) -> TestBatch {
        TestBatch(view: view, timestampMilliseconds: timestampMilliseconds, requests: requests)
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.write(view); w.write(timestampMilliseconds); w.write(UInt32(requests.count))
        for r in requests { w.write(r.id) }
        return w.bytes
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> TestBatch? {
        try? ByteReader.decode(Array(bytes), mappingErrors: { PBFTError($0) }) { (r: inout ByteReader) throws(PBFTError) -> TestBatch in
            let v = try r.view()
            let ts = try r.u64()
            let k = Int(try r.u32())
            guard k <= r.remaining / 8 else { throw .malformedBatch }
            var reqs: [TestRequest] = []
            for _ in 0..<k { reqs.append(TestRequest(id: try r.u64())) }
            return TestBatch(view: v, timestampMilliseconds: ts, requests: reqs)
        }
    }
}

typealias TMessage = Message<TestBatch>

let testChain = "test-chain"
/// Epoch 0 of the test chain: what `testConfig` replicas sign in.
let testContext = SigningContext(chainID: testChain, epoch: 0)

func testConfig(_ id: Int, n: Int = 4, k: UInt64 = 4, window: UInt64 = 8) -> ReplicaConfiguration {
    ReplicaConfiguration(
        replicaCount: n, replicaID: ReplicaID(id), chainID: testChain, checkpointInterval: k, window: window,
        maxBatchTxs: 2, maxBatchBytes: 1_000, batchDelayMs: 10, viewChangeTimeoutMs: 1_000,
        maxViewChangeTimeoutMs: 16_000, maxClockDriftMs: 5_000, retransmitIntervalMs: 100_000)
}

/// Signs as any replica (tests play Byzantine peers by hand).
func signed<Body: SignableBody>(_ body: Body, by id: Int) -> Signed<Body> {
    Signed.make(body, signer: ReplicaID(id), using: SimulatedSigner(replica: ReplicaID(id)), context: testContext)
}

/// The deterministic block hash every replica computes for a batch at a sequence number.
func blockHash(_ seq: SequenceNumber, _ digest: Digest) -> Digest {
    var h = Hasher256()
    h.update(withUnsafeBytes(of: seq.rawValue.bigEndian) { Array($0) })
    h.update(digest)
    return h.finalize()
}

/// Four (or n) replicas wired together by hand. Messages queue until `deliverAll`; a filter
/// can drop them. Commits are executed immediately (the driver's job) and reported back.
struct Cluster {
    var replicas: [Replica<TestBatch>]
    var verifier: MessageVerifier<TestBatch>
    var now: UInt64 = 1_000_000
    var queue: [(from: Int, to: Int, message: TMessage)] = []
    /// Requests relayed to a primary (`Action.relay`), delivered by `deliverAll` as `.requests`.
    var relayQueue: [(from: Int, to: Int, requests: [TestRequest])] = []
    /// Every relay each replica emitted, in order.
    var relays: [[(to: Int, requests: [TestRequest])]] = []
    var persisted: [[LogRecord<TestBatch>]]
    var committed: [[CommittedBatch<TestBatch>]]
    var evidence: [[EquivocationEvidence]]
    var stateTransfers: [[StateTransferTarget]]
    var notes: [[Note]]
    /// Every `Action.epochComplete` each replica emitted, in order.
    var completions: [[EpochCompletion]]
    var timers: [[TimerKind: UInt64]]
    var executes = true
    /// A validator-set change in block `changeAt`: each replica is told the epoch ends at
    /// `lastSequence` right after it executes that block, as the driver does (`Event.epochEnds`).
    var epochChange: (changeAt: SequenceNumber, lastSequence: SequenceNumber)?
    /// Perform requested state transfers from another replica's committed blocks.
    var transfersState = false
    /// Deliver queued messages after each timer in `advance` (randomized tests deliver by hand).
    var autoDeliver = true
    /// Return false to drop a message (from, to).
    var filter: (Int, Int, TMessage) -> Bool = { _, _, _ in true }
    /// Return false to drop a relay of requests (from, to): a primary that ignores relayed requests.
    var relayFilter: (Int, Int) -> Bool = { _, _ in true }

    /// `paceCheck: false` leaves only the view-change timer (for tests of that timer's own rules).
    /// `configure` changes every replica's configuration before it is built.
    init(n: Int = 4, k: UInt64 = 4, window: UInt64 = 8, retransmitMs: UInt64 = 100_000, start: Bool = true, paceCheck: Bool = true,
         configure: (inout ReplicaConfiguration) -> Void = { _ in }) {
        replicas = (0..<n).map {
            var config = testConfig($0, n: n, k: k, window: window)
            config.retransmitIntervalMs = retransmitMs
            config.isPaceCheckEnabled = paceCheck
            configure(&config)
            return try! Replica(configuration: config, signer: SimulatedSigner(replica: ReplicaID($0)))
        }
        verifier = MessageVerifier(context: testContext, scheme: SimulatedSignatureScheme(replicaCount: n), checkBatch: { _ in .valid })
        persisted = Array(repeating: [], count: n)
        committed = Array(repeating: [], count: n)
        evidence = Array(repeating: [], count: n)
        stateTransfers = Array(repeating: [], count: n)
        notes = Array(repeating: [], count: n)
        completions = Array(repeating: [], count: n)
        timers = Array(repeating: [:], count: n)
        relays = Array(repeating: [], count: n)
        if start {
            for i in 0..<n { handle(i, .start(.genesis)) }
        }
    }

    var n: Int { replicas.count }

    /// Feeds one event to replica `i` and performs its actions like a driver would.
    mutating func handle(_ i: Int, _ event: Event<TestBatch>) {
        let actions = replicas[i].handle(event, now: now)
        var followUps: [Event<TestBatch>] = []
        for a in actions {
            switch a {
            case let .send(m, to): queue.append((i, to.index, m))
            case let .broadcast(m): for j in 0..<n where j != i { queue.append((i, j, m)) }
            case let .setTimer(kind, after): timers[i][kind] = now + after
            case let .cancelTimer(kind): timers[i][kind] = nil
            case let .persist(r): persisted[i].append(r)
            case let .commit(c):
                committed[i].append(c)
                if executes {
                    followUps.append(.executed(c.sequence, blockHash: blockHash(c.sequence, c.batch.digest)))
                    if let change = epochChange, change.changeAt == c.sequence { followUps.append(.epochEnds(lastSequence: change.lastSequence)) }
                }
            case let .requestStateTransfer(t):
                stateTransfers[i].append(t)
                if transfersState, let event = transferState(to: i, t) { followUps.append(contentsOf: event) }
            case let .evidence(e): evidence[i].append(e)
            case let .note(note): notes[i].append(note)
            case let .relay(requests, to):
                relays[i].append((to.index, requests))
                relayQueue.append((i, to.index, requests))
            case let .epochComplete(completion): completions[i].append(completion)
            }
        }
        for e in followUps { handle(i, e) }
    }

    /// Copies the blocks replica `i` lacks up to `t.sequence` from a replica that has them.
    mutating func transferState(to i: Int, _ t: StateTransferTarget) -> [Event<TestBatch>]? {
        let have = committed[i].last?.sequence ?? .zero
        guard t.sequence > have,
              let source = (0..<n).first(where: { j in committed[j].contains { $0.sequence == t.sequence } }) else { return nil }
        let fetched = committed[source].filter { $0.sequence > have && $0.sequence <= t.sequence }
        committed[i].append(contentsOf: fetched)
        let last = fetched.last!
        // The transfer brings the change block: the epoch's end comes before `stateTransferred` (`Event.epochEnds`).
        let ends: [Event<TestBatch>] = epochChange.flatMap { change in
            fetched.contains { $0.sequence == change.changeAt } ? [.epochEnds(lastSequence: change.lastSequence)] : nil
        } ?? []
        return [.requestsCommitted(fetched.flatMap { $0.batch.requests.map(\.requestDigest) })] + ends + [
            .stateTransferred(t.sequence, blockHash: blockHash(last.sequence, last.batch.digest), timestampMilliseconds: last.batch.timestampMilliseconds),
        ]
    }

    /// Delivers a message to `to` through the verifier (as the driver does).
    mutating func deliver(_ m: TMessage, to: Int) {
        guard let v = try? verifier.verify(m) else { return }
        handle(to, .message(v))
    }

    /// Delivers queued messages (and those they cause) until the queue is empty.
    mutating func deliverAll(limit: Int = 100_000) {
        var steps = 0
        while (!queue.isEmpty || !relayQueue.isEmpty) && steps < limit {
            if !relayQueue.isEmpty {
                let (from, to, requests) = relayQueue.removeFirst()
                steps += 1
                if relayFilter(from, to) { handle(to, .requests(requests)) }
                continue
            }
            let (from, to, m) = queue.removeFirst()
            steps += 1
            guard filter(from, to, m) else { continue }
            deliver(m, to: to)
        }
    }

    /// Advances the clock by `ms`, firing due timers in time order.
    mutating func advance(_ ms: UInt64) {
        let end = now + ms
        // Messages already queued travel with zero delay: they arrive before time moves on
        // (a primary with an idle pipeline proposes at once, with no timer to wait for).
        if autoDeliver { deliverAll() }
        while true {
            var next: (at: UInt64, replica: Int, kind: TimerKind)?
            for i in 0..<n {
                for (kind, at) in timers[i] where at <= end {
                    if next == nil || at < next!.at || (at == next!.at && (i, "\(kind)") < (next!.replica, "\(next!.kind)")) {
                        next = (at, i, kind)
                    }
                }
            }
            guard let t = next else { break }
            now = max(now, t.at)
            timers[t.replica][t.kind] = nil
            handle(t.replica, .timerFired(t.kind))
            if autoDeliver { deliverAll() }
        }
        now = end
    }

    /// The randomized tests' network: delivers what is queued now once, in a random order, dropping `dropPercent` of
    /// it before step 300 and everything to or from `silent` before step 200.
    mutating func deliverRandomly(_ rng: inout SplitMix, step: Int, dropPercent: UInt64, silent: Int?) {
        var budget = queue.count
        while budget > 0 && !queue.isEmpty {
            budget -= 1
            let i = Int(rng.next() % UInt64(queue.count))
            let (from, to, m) = queue.remove(at: i)
            if let s = silent, (from == s || to == s) && step < 200 { continue }
            if rng.next() % 100 < dropPercent && step < 300 { continue }
            deliver(m, to: to)
        }
    }

    /// Crashes replica `r` (its timers and the messages to it are lost) and restarts it with `configuration` from its
    /// persisted log and the blocks it executed.
    mutating func restart(_ r: Int, configuration: ReplicaConfiguration) {
        let last = committed[r].last
        replicas[r] = try! Replica(configuration: configuration, signer: SimulatedSigner(replica: ReplicaID(r)))
        timers[r] = [:]
        queue.removeAll { $0.to == r }
        handle(r, .start(RecoveredState(
            records: persisted[r], lastExecuted: last?.sequence ?? .zero,
            lastExecutedBlockHash: last.map { blockHash($0.sequence, $0.batch.digest) } ?? .zero,
            lastExecutedTimestampMilliseconds: last?.batch.timestampMilliseconds ?? 0)))
    }

    /// Heals the network: delivers everything and lets retransmission run for 16 s.
    mutating func heal() {
        autoDeliver = true
        for _ in 0..<40 { deliverAll(); advance(400) }
    }

    /// The first sequence number at which two replicas committed different batches (agreement), or `nil`.
    var disagreement: SequenceNumber? {
        var bySeq: [SequenceNumber: Digest] = [:]
        for i in 0..<n {
            for cb in committed[i] {
                if let d = bySeq[cb.sequence], d != cb.batch.digest { return cb.sequence }
                bySeq[cb.sequence] = cb.batch.digest
            }
        }
        return nil
    }

    mutating func submit(_ ids: [UInt64], to targets: [Int]? = nil) {
        let reqs = ids.map { TestRequest(id: $0) }
        for i in targets ?? Array(0..<n) { handle(i, .requests(reqs)) }
    }

    func committedIDs(_ i: Int) -> [UInt64] { committed[i].flatMap { $0.batch.requests.map(\.id) } }
}
