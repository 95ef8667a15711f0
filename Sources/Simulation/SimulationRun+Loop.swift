// The run: the event loop, set-up of the fault schedule, crash/restart, and feeding events to replicas.
import Adversary
import LedgerCore
import LedgerCrypto
import PBFT

extension SimulationRun {
    /// Runs the scenario to its end and collects the result.
    func execute() -> RunResult {
        setUp()
        let limit = VirtualTime(milliseconds: scenario.timeLimitMs)
        while true {
            if violationCount > 0 { stopReason = .violation; break }
            guard let next = queue.pop() else { stopReason = .quiescent; break }
            if next.time > limit { now = limit; stopReason = .timeLimit; break }
            now = next.time
            events += 1
            if events > SimulationLimits.maxEventsPerRun {
                stopReason = .eventBudget
                contractViolations.append(Violation(
                    property: .simulator, time: now,
                    detail: "more than \(SimulationLimits.maxEventsPerRun) events: a message storm or livelock"))
                break
            }
            dispatch(next.payload)
            if reachedTarget { stopReason = .reachedTarget; break }
        }
        if violationCount > 0 { stopReason = .violation }
        return finish()
    }

    /// All violations found so far.
    var allViolations: [Violation] {
        safety.violations + memory.violations + invariants.violations + contractViolations + followerViolations
    }

    var violationCount: Int {
        safety.violations.count + memory.violations.count + invariants.violations.count + contractViolations.count
            + followerViolations.count
    }

    /// Every honest replica that validates executed the target number of batches.
    var reachedTarget: Bool {
        for i in validatingHonest where nodes[i.index].ledger.height.rawValue < UInt64(scenario.targetCommits) { return false }
        return true
    }

    /// The honest nodes that validate in their epoch: without a joining validator that has not joined (a change that
    /// never took effect, or not yet) or a removed one that stepped down.
    var validatingHonest: [ReplicaID] {
        honest.filter { id in identity(ofNode: id, epoch: nodes[id.index].epoch) != nil }
    }

    /// `true` when liveness is checked: at most f Byzantine (counting a replica with a damaged
    /// log as one more fault) and not the collusion self-test.
    var checksLiveness: Bool {
        scenario.isWithinFaultBound && !scenario.isCollusionSelfTest
            && (damagedReplica == nil || byzantine.count + 1 <= scenario.f)
    }

    /// With `scenario.damagedLogs`, the honest replica whose log is damaged at its restarts:
    /// the first one to crash.
    var damagedReplica: ReplicaID? {
        scenario.damagedLogs ? faults.crashes.first?.replica : nil
    }

    private func setUp() {
        trace("seed \(scenario.seed) n=\(scenario.replicaCount) f=\(scenario.f) strategy \(scenario.strategyName) "
            + "byzantine \(byzantine) target \(scenario.targetCommits) commits")
        for line in faults.summary { trace(line) }
        trace("liveness bound \(liveness.boundMs)ms after GST \(faults.gst.milliseconds)ms")

        for i in 0..<nodes.count { start(ReplicaID(i)) }
        startFollower()
        for c in 0..<clients.count {
            queue.schedule(.clientTick(client: c), at: VirtualTime(milliseconds: random.inRange(0...20)))
            queue.schedule(.clientRetry(client: c), at: VirtualTime(milliseconds: parameters.clientRetryMs))
        }
        for crash in faults.crashes + parameters.extraCrashes {
            queue.schedule(.crash(crash.replica), at: crash.crashAt)
            queue.schedule(.restart(crash.replica, forgetLog: false), at: crash.restartAt)
        }
        for (i, p) in faults.partitions.enumerated() {
            queue.schedule(.partitionStart(index: i), at: p.start)
            queue.schedule(.partitionEnd(index: i), at: p.end)
        }
        for node in nodes where node.behaviour?.forgetsLogOnRestart == true {
            scheduleAmnesia(node.id)
        }
        if checksLiveness {
            queue.schedule(.livenessProbe, at: VirtualTime(milliseconds: parameters.livenessProbeMs))
        }
    }

    func scheduleAmnesia(_ id: ReplicaID) {
        let at = now.advanced(by: random.inRange(parameters.amnesiaRestartMs))
        queue.schedule(.crash(id), at: at)
        queue.schedule(.restart(id, forgetLog: true), at: at.advanced(by: 20))
    }

    private func dispatch(_ event: SimulationEvent) {
        switch event {
        case let .deliver(to, from, message):
            guard nodes[to.index].isUp || !nodes[to.index].retired.isEmpty else { return }
            // The node's rule (`PeerWorker`): kinds answered to their signer come only from its link (the sender's
            // replica id in the message's epoch).
            if parameters.limitsReplies,
               !message.message.mayArrive(from: replicaID(ofNode: from, epoch: message.message.epoch ?? nodes[to.index].epoch)
                                                ?? ReplicaID(ReplicaSet.capacity)) {
                traffic.refusedOffSignerLink += 1
                return
            }
            messagesDelivered += 1
            if nodes[to.index].behaviour != nil { nodes[to.index].behaviour!.observe(incoming: message.message) }
            deliver(message, to: to)
        case let .emit(from, incarnation, emission):
            guard nodes[from.index].isUp, nodes[from.index].incarnation == incarnation else { return }
            transmit(emission.message, from: from, to: emission.recipients, epoch: nodes[from.index].epoch)
        case let .timer(id, kind, generation, incarnation):
            let i = id.index
            guard nodes[i].isUp, nodes[i].incarnation == incarnation, nodes[i].timers.fire(kind, generation: generation) else { return }
            feed(id, .timerFired(kind))
        case let .clientTick(c):
            clientTick(c)
        case let .clientRetry(c):
            clientRetry(c)
        case let .requestArrives(id, tx):
            requestArrives(id, tx)
        case let .changeArrives(id):
            changeArrives(id)
        case let .crash(id):
            crash(id)
        case let .restart(id, forgetLog):
            restart(id, forgetLog: forgetLog)
        case let .partitionStart(i):
            let primary = currentPrimary()
            let active = ActivePartition(faults.partitions[i].shape, replicaCount: scenario.replicaCount, primary: primary)
            activePartitions[i] = active
            trace("fault: partition \(faults.partitions[i].shape) starts (cut \(active.from)→\(active.to)\(active.symmetric ? " both ways" : ""))")
        case let .partitionEnd(i):
            activePartitions[i] = nil
            trace("fault: partition \(faults.partitions[i].shape) heals")
        case let .stateTransferDone(id, incarnation, target):
            completeStateTransfer(id, incarnation: incarnation, target: target)
        case let .followerDeliver(from, message):
            followerReceive(message, from: from)
        case let .followerTimer(kind, generation):
            guard follower != nil, follower!.timers.fire(kind, generation: generation) else { return }
            feedFollower(.timerFired(kind))
        case let .followerTransferDone(target):
            completeFollowerTransfer(target)
        case .livenessProbe:
            let overdue = liveness.overdue(at: now)
            if !overdue.isEmpty {
                contractViolations += overdue
                for v in overdue { trace("VIOLATION \(v)") }
            } else {
                queue.schedule(.livenessProbe, at: now.advanced(by: parameters.livenessProbeMs))
            }
        }
    }

    /// The node of the primary of the highest view among live honest replicas (in the latest epoch among them).
    func currentPrimary() -> ReplicaID {
        var view = View.zero
        var epoch: UInt64 = 0
        for i in honest where nodes[i.index].isUp {
            let v = nodes[i.index].replica!.view
            if nodes[i.index].epoch > epoch || (nodes[i.index].epoch == epoch && v > view) { view = v; epoch = nodes[i.index].epoch }
        }
        return node(of: view.primary(replicaCount: validatorCount(epoch: epoch)), epoch: epoch) ?? ReplicaID(0)
    }

    // MARK: Replica lifecycle

    func start(_ id: ReplicaID) {
        // A joining validator has no replica before its epoch (a restart before then leaves it waiting), a removed
        // one none after it.
        guard let mine = identity(ofNode: id, epoch: nodes[id.index].epoch) else { return }
        nodes[id.index].replicaID = mine.id
        nodes[id.index].keySlot = mine.keySlot
        let configuration = configuration(of: id, as: mine.id)
        do {
            nodes[id.index].replica = try LedgerReplica(configuration: configuration, signer: scheme.signer(for: ReplicaID(mine.keySlot)))
        } catch {
            contractViolations.append(Violation(property: .simulator, time: now, detail: "replica \(id) refused its configuration: \(error)"))
            return
        }
        let ledger = nodes[id.index].ledger
        let recovered = RecoveredState<Batch>(
            records: nodes[id.index].disk, lastExecuted: ledger.height,
            lastExecutedBlockHash: ledger.lastBlockHashForConsensus,
            lastExecutedTimestampMilliseconds: ledger.lastTimestampForConsensus,
            votingFence: nodes[id.index].votingFence)
        feed(id, .start(recovered))
    }

    private func crash(_ id: ReplicaID) {
        guard nodes[id.index].isUp else { return }
        nodes[id.index].replica = nil
        nodes[id.index].retired = [:]
        nodes[id.index].incarnation += 1
        nodes[id.index].timers.cancelAll()
        nodes[id.index].stateTransferPending = false
        trace("fault: \(id) crashes (disk keeps \(nodes[id.index].disk.count) log records, height \(nodes[id.index].ledger.height.rawValue))")
    }

    private func restart(_ id: ReplicaID, forgetLog: Bool) {
        guard !nodes[id.index].isUp else { return }
        if forgetLog { nodes[id.index].disk.removeAll() }
        trace("fault: \(id) restarts\(forgetLog ? " WITHOUT its consensus log (amnesia)" : " from its disk")")
        if !forgetLog && id == damagedReplica { damageLog(of: id) }
        start(id)
        if forgetLog && nodes[id.index].isUp { scheduleAmnesia(id) }
    }

    /// Loses records of `id`'s consensus log (each with probability 1/3) and applies the node's
    /// rule for a damaged log: drop what cannot be read, keep the rest, and persist the voting
    /// fence computed from the highest sequence number the log held.
    private func damageLog(of id: ReplicaID) {
        let i = id.index
        let disk = nodes[i].disk
        guard !disk.isEmpty else { return }
        var kept: [LedgerLogRecord] = []
        for record in disk where !random.chance(1.0 / 3.0) { kept.append(record) }
        guard kept.count < disk.count else { return }
        let highest = disk.compactMap(\.sequence).max() ?? .zero
        let fence = RecoveredState<Batch>.votingFence(
            highestLoggedSequence: highest, lastExecuted: nodes[i].ledger.height, window: parameters.window)
        nodes[i].disk = kept
        nodes[i].votingFence = max(nodes[i].votingFence ?? .zero, fence)
        trace("fault: \(id)'s consensus log lost \(disk.count - kept.count) of \(disk.count) records; voting fence \(fence.rawValue)")
    }

    // MARK: Feeding the replica

    /// Hands `event` to replica `id` and performs the actions, then any follow-up inputs
    /// (e.g. `.executed` after a `.commit`) in order.
    func feed(_ id: ReplicaID, _ event: LedgerEvent) {
        followUps.append((id, event))
        guard !isDraining else { return }
        isDraining = true
        var index = 0
        while index < followUps.count {
            let (target, input) = followUps[index]
            index += 1
            handleNow(target, input)
        }
        followUps.removeAll(keepingCapacity: true)
        isDraining = false
        performEpochSwitches()
    }

    private func handleNow(_ id: ReplicaID, _ event: LedgerEvent) {
        let i = id.index
        guard nodes[i].isUp else { return }
        let time = clock(of: id)
        let actions = nodes[i].replica!.handle(event, now: time)
        invariants.observe(replica: id, broken: nodes[i].replica!.checkInvariantsInPlace(), at: now)
        perform(actions, of: id)
        // Reading the replica's counters costs a copy of its state, so sample every 8th step;
        // logs only grow between checkpoints, so an unbounded log is still caught.
        handleCount &+= 1
        if handleCount & 7 == 0 && honest.contains(id) && nodes[i].isUp {
            memory.observe(
                replica: id, lowWatermark: nodes[i].replica!.lowWatermark, lowestEntry: nodes[i].replica!.lowestLogSequence,
                entryCount: nodes[i].replica!.logEntryCount,
                checkpointVoteSlots: nodes[i].replica!.checkpointVoteCount,
                maxCheckpointVoteSlots: parameters.maxCheckpointVoteSlots, at: now)
        }
    }
}

extension Replica {
    /// `checkInvariants()` through a mutating access, so the simulator checks the replica where it
    /// stands in `nodes` instead of reading out a copy of its state first.
    fileprivate mutating func checkInvariantsInPlace() -> [InvariantViolation] { checkInvariants() }
}
