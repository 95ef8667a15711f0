import BenchSupport
import Foundation
import NIOCore
import NIOPosix
import Wallet

/// The load generator's state during a run. Everything here is touched on one event loop only (`loop`): the scheduler
/// tick, every connection's answers and every node's block notifications, so no locks are needed and the order of
/// events is the order they were seen.
// @unchecked: confined to `loop` (checked with preconditions at the entry points).
final class LoadEngine: @unchecked Sendable {
    let loop: any EventLoop
    let nodes: [NodeEntry]
    let transfers: PresignedTransfers
    /// Nodes that receive transfers (all of them, or all but the one the recovery scenario kills).
    let targets: [Int]
    /// The node whose block stream is the reference chain (lost/duplicated, committed tx/s).
    let reference: Int
    /// Connections per target node.
    let connectionsPerNode: Int
    /// When the run started (ns, `DispatchTime` uptime).
    let t0Ns: UInt64

    // Per transfer.
    var tally: InclusionTally
    var submitNs: [UInt64]
    var commitNs: [UInt64]
    /// When the node's answer to the transfer's batch arrived (admission latency = answer − submit).
    var answerNs: [UInt64]
    var sentTo: [Int8]

    // Counters.
    var dispatched = 0
    var sentCount = 0
    var settled = 0
    var acceptedCount = 0
    var rejectedReasons: [String: Int] = [:]
    var rejectedSamples: [String: String] = [:]
    /// Refusals meaning "not now" (busy, nonce gap), resent after the node's delay, by reason.
    var retriedReasons: [String: Int] = [:]
    /// The last "not now" refusal of a transfer still waiting to be resent (reported if the run ends first).
    var lastRefusal: [Int: (reason: String, message: String)] = [:]
    var unansweredCount = 0
    var failedReceiptReasons: [String: Int] = [:]
    var failedOurs = 0
    var foreignTransactions = 0
    var malformedNotifications = 0
    var heightGaps: [Int]
    var lastHeight: [UInt64?]
    var subscriptionEnded: [String?]
    var connectionFailures: [String] = []

    /// Blocks of the reference chain: arrival (ns since t0), transactions, of which ours, height.
    var referenceBlocks: [(atNs: UInt64, txs: Int, ours: Int, height: UInt64)] = []
    /// CPU/RSS samples per node, and of the load generator itself.
    var samples: [[ProcessSample]]
    var selfSamples: [ProcessSample] = []
    var killedNodes: Set<Int> = []

    var connections: [SubmitConnection] = []
    var subscriberChannels: [(any Channel)?]

    // The running phase.
    var phase: LoadPhase?
    var phaseStartNs: UInt64 = 0
    var phaseFirst = 0
    var phaseEnd = 0
    var phasePromise: EventLoopPromise<PhaseRecord>?
    var killNs: UInt64?
    var killedNode: Int?
    var tickTask: RepeatedTask?
    var sampleTask: RepeatedTask?
    var lastProgressNs: UInt64 = 0
    var phaseName = "connect"
    var isShuttingDown = false

    init(loop: any EventLoop, nodes: [NodeEntry], transfers: PresignedTransfers, targets: [Int], reference: Int,
         connectionsPerNode: Int) {
        self.loop = loop
        self.nodes = nodes
        self.transfers = transfers
        self.targets = targets
        self.reference = reference
        self.connectionsPerNode = connectionsPerNode
        t0Ns = DispatchTime.now().uptimeNanoseconds
        tally = InclusionTally(count: transfers.count)
        submitNs = Array(repeating: 0, count: transfers.count)
        commitNs = Array(repeating: 0, count: transfers.count)
        answerNs = Array(repeating: 0, count: transfers.count)
        sentTo = Array(repeating: -1, count: transfers.count)
        heightGaps = Array(repeating: 0, count: nodes.count)
        lastHeight = Array(repeating: nil, count: nodes.count)
        subscriptionEnded = Array(repeating: nil, count: nodes.count)
        samples = Array(repeating: [], count: nodes.count)
        subscriberChannels = Array(repeating: nil, count: nodes.count)
    }

    /// Nanoseconds since the run started.
    func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds &- t0Ns }

    /// The connection transfer `k` travels on: its sender's target node, and one of that node's connections.
    func connectionIndex(of k: Int) -> Int {
        let s = transfers.sender(of: k)
        let node = s % targets.count
        let slot = (s / targets.count) % connectionsPerNode
        return node * connectionsPerNode + slot
    }

    // MARK: Set-up

    /// Opens the block subscriptions (from `fromHeights[i]`) and the submit connections, and starts sampling.
    func connect(fromHeights: [UInt64]) -> EventLoopFuture<Void> {
        var subscribed: [EventLoopFuture<Void>] = []
        for (i, n) in nodes.enumerated() {
            let f = BlockSubscriber.connect(
                host: n.host, port: n.port, fromHeight: fromHeights[i], on: loop,
                onMessage: { [self] bytes, at in self.blockMessage(node: i, bytes, arrivedNs: at &- self.t0Ns) },
                onClose: { [self] reason in self.loop.execute { self.subscriptionClosed(node: i, reason) } })
            subscribed.append(f.flatMapErrorThrowing { (error) -> any Channel in
                throw LoadError.subscription(url: "ws://\(n.host):\(n.port)/websocket", reason: describe(error))
            }.map { [self] channel in self.subscriberChannels[i] = channel })
        }
        var opened: [EventLoopFuture<SubmitConnection>] = []
        for t in targets {
            for _ in 0..<connectionsPerNode {
                let n = nodes[t]
                opened.append(SubmitConnection.open(node: t, host: n.host, port: n.port, on: loop).flatMapErrorThrowing { (error) -> SubmitConnection in
                    throw LoadError.unreachable(url: n.rpc, reason: describe(error))
                })
            }
        }
        let allOpened = opened
        return EventLoopFuture.andAllSucceed(subscribed, on: loop)
            .flatMap { EventLoopFuture.whenAllSucceed(allOpened, on: self.loop) }
            .map { [self] conns in
                self.connections = conns
                self.sample()
                self.sampleTask = self.loop.scheduleRepeatedTask(initialDelay: .milliseconds(BenchLimits.sampleMs),
                                                                 delay: .milliseconds(BenchLimits.sampleMs)) { [self] _ in self.sample() }
            }
    }

    /// Closes every connection and stops the timers.
    func shutdown() -> EventLoopFuture<Void> {
        loop.submit { [self] in
            self.isShuttingDown = true
            self.tickTask?.cancel()
            self.sampleTask?.cancel()
            for c in self.connections { c.channel.close(promise: nil) }
            for c in self.subscriberChannels { c?.close(promise: nil) }
        }
    }

    // MARK: Sampling and progress

    func sample() {
        loop.preconditionInEventLoop()
        for (i, n) in nodes.enumerated() where n.pid > 0 && !killedNodes.contains(i) {
            if let s = ProcessSample.take(pid: n.pid) { samples[i].append(s) }
        }
        if let s = ProcessSample.take(pid: 0) { selfSamples.append(s) }
        let t = now()
        if t &- lastProgressNs >= 1_000_000_000 {
            lastProgressNs = t
            printProgress()
        }
    }

    func printProgress() {
        let committed = referenceBlocks.reduce(0) { $0 + $1.ours }
        let backlog = connections.reduce(0) { $0 + $1.queued }
        let height = lastHeight[reference].map(String.init) ?? "-"
        let elapsed = phase == nil ? "" : String(format: " %.1fs", Double(now() &- phaseStartNs) / 1e9)
        print("  [\(phaseName)\(elapsed)] sent \(sentCount) accepted \(acceptedCount) "
              + "rejected \(rejectedReasons.values.reduce(0, +)) committed \(committed) height \(height) queued \(backlog)")
    }

    // MARK: Phases

    /// Runs `phase` from transfer `dispatched` on; completes when its time is up or its transfers are used.
    /// `killAt` (s into the phase) kills the primary through `kill`, which returns the node it killed.
    func run(_ phase: LoadPhase, name: String) -> EventLoopFuture<PhaseRecord> {
        loop.submit { [self] in
            self.phase = phase
            self.phaseName = name
            self.phaseStartNs = self.now()
            self.phaseFirst = self.dispatched
            self.phaseEnd = min(self.transfers.count, self.dispatched + phase.transfers)
            self.killNs = nil
            self.killedNode = nil
            let promise = self.loop.makePromise(of: PhaseRecord.self)
            self.phasePromise = promise
            self.tickTask = self.loop.scheduleRepeatedTask(initialDelay: .milliseconds(0), delay: .milliseconds(BenchLimits.tickMs)) { [self] _ in
                self.tick()
            }
            return promise
        }.flatMap { $0.futureResult }
    }

    /// Notes that `node` was killed at `atNs` (run clock).
    func noteKill(node: Int, atNs: UInt64) {
        loop.execute { [self] in
            self.killNs = atNs
            self.killedNode = node
            self.killedNodes.insert(node)
        }
    }

    /// The scheduler: hands due transfers to their connections and sends what the connections can take.
    func tick() {
        loop.preconditionInEventLoop()
        guard let phase else { return }
        let elapsedNs = now() &- phaseStartNs
        let elapsed = Double(elapsedNs) / 1e9
        var target: Int
        switch phase.kind {
        case let .openLoop(rate):
            // The last tick still hands out what fell due before the phase's end.
            let planned = RateSchedule(rate: rate, total: phaseEnd - phaseFirst)
            target = phaseFirst + planned.due(atElapsed: Swift.min(elapsed, phase.durationSeconds - 1e-9))
        case let .closedLoop(outstanding):
            target = dispatched + max(0, outstanding - (dispatched - settled))
        }
        target = Swift.min(target, phaseEnd)
        if elapsed >= phase.durationSeconds, case .closedLoop = phase.kind { target = dispatched }
        let dueNs = now()
        while dispatched < target {
            let k = dispatched
            dispatched += 1
            let c = connections[connectionIndex(of: k)]
            if c.failure != nil { settled += 1; continue }
            // Latency counts from when the transfer fell due, so waiting at the client (a busy node) is included.
            submitNs[k] = dueNs
            c.enqueue(k)
        }
        for c in connections { flush(c) }
        if elapsed >= phase.durationSeconds || dispatched >= phaseEnd && connections.allSatisfy({ $0.queued == 0 }) {
            finishPhase()
        }
    }

    private func finishPhase() {
        guard let phase, let promise = phasePromise else { return }
        tickTask?.cancel()
        tickTask = nil
        let backlog = connections.reduce(0) { $0 + $1.queued }
        // Transfers still queued were never sent: give them back to the next phase's count as unsent.
        for c in connections { for _ in c.drainQueue() { settled += 1 } }
        let record = PhaseRecord(
            phase: phase, startNs: phaseStartNs, endNs: now(), firstTransfer: phaseFirst, endTransfer: dispatched,
            backlogAtEnd: backlog, killNs: killNs, killedNode: killedNode)
        self.phase = nil
        phasePromise = nil
        printProgress()
        promise.succeed(record)
    }

    /// Waits until every accepted transfer is in the reference chain and every request answered, or `timeout` s.
    func drain(timeoutSeconds: Double, name: String) -> EventLoopFuture<Bool> {
        loop.flatSubmit { [self] in
            self.phaseName = name
            let promise = self.loop.makePromise(of: Bool.self)
            let deadline = self.now() + UInt64(timeoutSeconds * 1e9)
            self.loop.scheduleRepeatedTask(initialDelay: .milliseconds(50), delay: .milliseconds(100)) { [self] task in
                let inFlight = self.connections.reduce(0) { $0 + ($1.failure == nil ? $1.batchesInFlight + $1.retrying : 0) }
                let done = inFlight == 0 && self.allAcceptedIncluded()
                if done || self.now() >= deadline {
                    task.cancel()
                    // Transfers still refused as "not now" when the wait ends count as rejected, with the last reason.
                    for c in self.connections { for k in c.drainRetry() { self.giveUp(k) } }
                    promise.succeed(done)
                }
            }
            return promise.futureResult
        }
    }

    private func allAcceptedIncluded() -> Bool {
        for k in 0..<dispatched where tally.admission(k) == .accepted && tally.inclusions(of: k) == 0 { return false }
        return true
    }
}

/// A short reason for a network error.
func describe(_ error: any Error) -> String {
    if let e = error as? LoadError { return e.description }
    return RPCClient.describeConnectError(error)
}
