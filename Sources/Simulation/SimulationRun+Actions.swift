// The run: performing a replica's actions — timers, persistence, outgoing messages (honest or through the Byzantine behaviour), the network model, notes and evidence.
import Adversary
import LedgerCore
import LedgerCrypto
import PBFT

extension SimulationRun {
    /// Performs a replica's actions in order (persist before the sends that follow it: the
    /// disk append is immediate, so the order holds trivially).
    func perform(_ actions: [LedgerAction], of id: ReplicaID) {
        let i = id.index
        for action in actions {
            switch action {
            case let .send(message, to):
                if honest.contains(id) && TrafficTally.isReply(message) {
                    if let node = node(of: to, epoch: nodes[i].epoch), honest.contains(node) { traffic.repliesBetweenHonest += 1 } else { traffic.repliesToByzantine += 1 }
                }
                outgoing(message, from: id, to: [to])
            case let .broadcast(message):
                if case .checkpoint = message { pushToFollower(message, from: id) }
                outgoing(message, from: id, to: others(of: id, epoch: nodes[i].epoch))
            case let .setTimer(kind, after):
                let generation = nodes[i].timers.arm(kind)
                if kind == .viewChange { trace("\(id) sets the view-change timer (\(after)ms)", level: .full) }
                queue.schedule(
                    .timer(id, kind, generation: generation, incarnation: nodes[i].incarnation),
                    at: now.advanced(by: after))
            case let .cancelTimer(kind):
                nodes[i].timers.cancel(kind)
                if kind == .viewChange { trace("\(id) cancels the view-change timer", level: .full) }
            case let .persist(record):
                nodes[i].persist(record)
                if nodes[i].disk.count > SimulationLimits.maxDiskRecords {
                    contractViolations.append(Violation(
                        property: .boundedMemory, time: now,
                        detail: "\(id)'s consensus log holds \(nodes[i].disk.count) records despite pruning at stable checkpoints"))
                }
            case let .commit(committed):
                commit(committed, at: id)
            case let .requestStateTransfer(target):
                requestStateTransfer(target, for: id)
            case let .evidence(evidence):
                recordEvidence(evidence, reportedBy: id)
            case let .note(note):
                record(note, from: id)
            case let .relay(requests, to):
                if honest.contains(id) { traffic.requestsRelayed += requests.count }
                passOn(requests.compactMap(\.transfer), from: id, to: node(of: to, epoch: nodes[i].epoch).map { [$0] } ?? [])
            case let .epochComplete(completion):
                epochSwitches.append((id, completion))
            }
        }
    }

    /// The replica ids of the validators of `epoch` but node `id`'s.
    func others(of id: ReplicaID, epoch: UInt64) -> [ReplicaID] {
        let set = epochSet(epoch)
        return (0..<set.count).compactMap { set.nodes[$0] == id.index ? nil : ReplicaID($0) }
    }

    /// The nodes of the validators of `epoch` but node `id`.
    func otherNodes(of id: ReplicaID, epoch: UInt64) -> [ReplicaID] {
        epochSet(epoch).nodes.compactMap { $0 == id.index ? nil : ReplicaID($0) }
    }

    // MARK: Outgoing messages

    /// A message node `id`'s replica wants to send to `recipients` (replica ids of its epoch): honest ones go out
    /// as they are (and their votes are recorded for the equivocation check); Byzantine ones pass through the behaviour.
    private func outgoing(_ message: LedgerMessage, from id: ReplicaID, to recipients: [ReplicaID]) {
        let i = id.index
        guard nodes[i].behaviour != nil else {
            recordSignedVotes(message, by: id)
            transmit(message, from: id, to: recipients, epoch: nodes[i].epoch)
            return
        }
        let context = AdversaryContext(
            replica: nodes[i].replicaID, replicaCount: validatorCount(epoch: nodes[i].epoch), chainID: parameters.chainID,
            signer: scheme.signer(for: ReplicaID(nodes[i].keySlot)), nowMs: clock(of: id),
            viewChangeTimeoutMs: parameters.viewChangeTimeoutMs, window: parameters.window, quorum: parameters.quorumOverride,
            epoch: nodes[i].epoch)
        let emissions = nodes[i].behaviour!.transform(message, to: recipients, context: context)
        for emission in emissions {
            if emission.delayMs > 0 {
                queue.schedule(
                    .emit(from: id, incarnation: nodes[i].incarnation, emission: emission),
                    at: now.advanced(by: emission.delayMs))
            } else {
                transmit(emission.message, from: id, to: emission.recipients, epoch: nodes[i].epoch)
            }
        }
    }

    /// Feeds an honest replica's signed votes to the equivocation check (by node: its replica id may change).
    private func recordSignedVotes(_ message: LedgerMessage, by id: ReplicaID) {
        let me = nodes[id.index].replicaID
        switch message {
        case let .prePrepare(s, _) where s.signer == me:
            safety.recordSigned(replica: id, kind: .prePrepare, view: s.body.view, seq: s.body.sequence, digest: s.body.digest, at: now)
        case let .prepare(s) where s.signer == me:
            safety.recordSigned(replica: id, kind: .prepare, view: s.body.view, seq: s.body.sequence, digest: s.body.digest, at: now)
        case let .commit(s) where s.signer == me:
            safety.recordSigned(replica: id, kind: .commit, view: s.body.view, seq: s.body.sequence, digest: s.body.digest, at: now)
        case let .checkpoint(s) where s.signer == me:
            safety.recordSigned(replica: id, kind: .checkpoint, view: .zero, seq: s.body.sequence, digest: s.body.blockHash, at: now)
        case let .newView(s) where s.signer == me:
            for p in s.body.prePrepares where p.signer == me {
                safety.recordSigned(replica: id, kind: .prePrepare, view: p.body.view, seq: p.body.sequence, digest: p.body.digest, at: now)
            }
        default:
            break
        }
    }

    /// Verifies `message` once (as every receiver would, with the same result) and sends it
    /// through the network to the node of each recipient (replica ids of `epoch`, the sender's).
    func transmit(_ message: LedgerMessage, from id: ReplicaID, to recipients: [ReplicaID], epoch sendersEpoch: UInt64) {
        let verified: Verified<LedgerMessage>
        do {
            let epoch = message.epoch ?? sendersEpoch
            guard epoch < UInt64(verifiers.count) else { throw PBFTError.epochAhead(message: epoch, local: UInt64(verifiers.count - 1)) }
            verified = try verifiers[Int(epoch)].verify(message)
        } catch {
            rejectedAtVerification += 1
            if honest.contains(id) {
                contractViolations.append(Violation(
                    property: .contract, time: now,
                    detail: "honest \(id) sent a \(message.kindName) that fails verification: \(error)"))
            }
            return
        }
        if honest.contains(id) { checkSize(message, from: id) }
        let set = epochSet(sendersEpoch)
        for recipient in recipients {
            guard let to = set.node(of: recipient), to != id.index else { continue }
            networkSend(verified, from: id, to: ReplicaID(to))
        }
    }

    /// An honest message must fit the transport's frame limit whatever the window and the
    /// batch sizes: otherwise the real node could not send it (a VIEW-CHANGE that no replica can
    /// deliver leaves the view unchangeable). Votes have a fixed small size and are skipped.
    private func checkSize(_ message: LedgerMessage, from id: ReplicaID) {
        switch message {
        case .prepare, .commit, .checkpoint, .status: return
        default: break
        }
        let size = message.encoded().count
        largestMessageBytes = max(largestMessageBytes, size)
        guard size > parameters.maxMessageBytes else { return }
        contractViolations.append(Violation(
            property: .contract, time: now,
            detail: "honest \(id) sent a \(size)-byte \(message.kindName), over the \(parameters.maxMessageBytes)-byte frame limit"))
    }

    /// The network model: partitions, loss, delay, reordering and duplication.
    private func networkSend(_ message: Verified<LedgerMessage>, from: ReplicaID, to: ReplicaID) {
        for p in activePartitions.values where p.cuts(from: from, to: to) { return }
        let network = faults.network
        let loss = now < faults.gst ? network.lossBeforeGST : network.lossAfterGST
        if random.chance(loss) { return }
        queue.schedule(.deliver(to: to, from: from, message: message), at: now.advanced(by: wireDelay()))
        if random.chance(network.duplicateRate) {
            queue.schedule(.deliver(to: to, from: from, message: message), at: now.advanced(by: wireDelay()))
        }
    }

    /// One message's time on the wire: the profile's delay, plus a reordering hold-back.
    func wireDelay() -> UInt64 {
        let network = faults.network
        var delay = network.delay.sample(&random)
        if random.chance(network.reorderRate) { delay += random.inRange(1...max(1, network.reorderMaxMs)) }
        return delay
    }

    // MARK: Notes and evidence

    private func record(_ note: Note, from id: ReplicaID) {
        switch note {
        case let .newViewInstalled(view, _, _):
            if honest.contains(id) && view > .zero { viewsEntered.insert(view) }
            if view > nodes[id.index].highestView { nodes[id.index].highestView = view }
            trace("\(id) \(note)")
        case .viewChangeAbandoned:
            if honest.contains(id) { abandonedViewChanges += 1 }
            trace("\(id) \(note)")
        case let .viewChangeStarted(view, _):
            if honest.contains(id) && viewChangeFirstStarted[view] == nil { viewChangeFirstStarted[view] = now }
            trace("\(id) \(note)")
        case .votesWithheld, .votingResumed, .epochEnds:
            trace("\(id) \(note)")
        case .started, .checkpointStable:
            trace("\(id) \(note)", level: .full)
        case .dropped, .rejected:
            break
        }
    }

    private func recordEvidence(_ evidence: EquivocationEvidence, reportedBy id: ReplicaID) {
        guard honest.contains(id) else { return }
        nodes[id.index].evidenceCount += 1
        trace("\(id) evidence: \(evidence.offender) equivocated at \(evidence.first.slot.sequence)")
        let epoch = nodes[id.index].epoch
        if !evidence.verify(scheme: verifiers[Int(epoch)].scheme, context: parameters.signingContext(epoch: epoch)) {
            contractViolations.append(Violation(
                property: .contract, time: now,
                detail: "\(id) reported evidence against \(evidence.offender) that does not verify"))
        } else if let offender = node(of: evidence.offender, epoch: epoch), honest.contains(offender) {
            safety.recordEvidenceAgainstHonest(offender: offender, reporter: id, at: now)
        }
    }
}
