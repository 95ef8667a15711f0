import LedgerCore
import LedgerCrypto

/// Checkpoints, watermarks, garbage collection and state transfer (Castro & Liskov §4.3).
extension Replica {
    /// After executing a checkpoint sequence number: sign, persist and broadcast CHECKPOINT.
    mutating func sendCheckpoint(_ seq: SequenceNumber, blockHash: Digest, _ ctx: inout Context<B>) {
        guard claim(Slot(phase: .checkpoint, view: nil, sequence: seq), blockHash) else {
            reject("checkpoint", from: me, "our own block hash at \(seq) differs from the one we signed before", &ctx)
            return
        }
        let signed = sign(Checkpoint(sequence: seq, blockHash: blockHash))
        state.ownCheckpoints[seq] = signed
        // Keep only the newest own checkpoint at or below the low watermark.
        for k in state.ownCheckpoints.keys where k < seq && k <= state.lowWatermark { state.ownCheckpoints[k] = nil }
        ctx.emit(.persist(.checkpoint(signed)))
        ctx.emit(.broadcast(.checkpoint(signed)))
        if seq > state.lowWatermark {
            state.checkpointVotes[seq, default: [:]][me] = signed
            checkStable(seq, &ctx)
        }
    }

    mutating func onCheckpoint(_ m: Signed<Checkpoint>, _ ctx: inout Context<B>) {
        let c = m.body
        guard c.sequence.rawValue % configuration.checkpointInterval == 0, c.sequence > .zero else {
            reject("checkpoint", from: m.signer, "\(c.sequence) is not a checkpoint sequence number", &ctx)
            return
        }
        guard !refusedBeyondEpoch("checkpoint", c.sequence, from: m.signer, &ctx) else { return }
        if let previous = state.latestCheckpointFrom[m.signer] {
            if previous.body.sequence == c.sequence && previous.body.blockHash != c.blockHash {
                reportEquivocation(.checkpoint(previous), .checkpoint(m), &ctx)
                return
            }
            if previous.body.sequence < c.sequence { state.latestCheckpointFrom[m.signer] = m }
        } else {
            state.latestCheckpointFrom[m.signer] = m
        }
        guard c.sequence > state.lowWatermark else { state.counters.duplicates += 1; return }
        // Votes count inside the window, and also just below what we committed: after a state
        // transfer past our window, they are how we learn that state is stable.
        let recentlyCommitted = c.sequence <= state.lastCommitted
            && state.lastCommitted.rawValue - c.sequence.rawValue <= configuration.window
        if c.sequence <= highWatermark || recentlyCommitted {
            if let existing = state.checkpointVotes[c.sequence]?[m.signer] {
                if existing.body.blockHash != c.blockHash { reportEquivocation(.checkpoint(existing), .checkpoint(m), &ctx) }
                else { state.counters.duplicates += 1 }
                return
            }
            state.checkpointVotes[c.sequence, default: [:]][m.signer] = m
            checkStable(c.sequence, &ctx)
        } else {
            state.counters.droppedOutsideWatermarks += 1
            considerStateTransfer(force: false, &ctx)
        }
    }

    /// A quorum of matching checkpoints make `seq` stable.
    mutating func checkStable(_ seq: SequenceNumber, _ ctx: inout Context<B>) {
        guard seq > state.lowWatermark, let votes = state.checkpointVotes[seq] else { return }
        var byHash: [Digest: [Signed<Checkpoint>]] = [:]
        for v in votes.values { byHash[v.body.blockHash, default: []].append(v) }
        guard let (hash, list) = byHash.first(where: { $0.value.count >= quorum }) else { return }
        let proof = CheckpointProof(sequence: seq, blockHash: hash, checkpoints: list.sorted { $0.signer < $1.signer })
        learnStable(proof, &ctx)
    }

    /// A valid stable-checkpoint proof: adopt it if we hold (or have committed) that state,
    /// otherwise remember it and fetch the state.
    mutating func learnStable(_ proof: CheckpointProof, _ ctx: inout Context<B>) {
        guard proof.sequence > state.lowWatermark, !refusedBeyondEpoch("stable checkpoint", proof.sequence, from: nil, &ctx) else { return }
        if let own = state.ownCheckpoints[proof.sequence], own.body.blockHash != proof.blockHash {
            // Our state diverged from the quorum's: fetch theirs.
            reject("checkpoint", from: me, "our block hash at \(proof.sequence) differs from the stable checkpoint", &ctx)
            state.pendingStableProof = proof
            considerStateTransfer(force: true, &ctx)
            return
        }
        if state.lastCommitted >= proof.sequence && state.stateTransferTarget == nil {
            makeStable(proof, &ctx)
        } else {
            if (state.pendingStableProof?.sequence ?? .zero) < proof.sequence { state.pendingStableProof = proof }
            considerStateTransfer(force: false, &ctx)
        }
    }

    /// Moves the low watermark to `proof.sequence` and discards the log at or below it.
    mutating func makeStable(_ proof: CheckpointProof, _ ctx: inout Context<B>) {
        guard proof.sequence > state.lowWatermark else { return }
        state.stableProof = proof
        let s = proof.sequence
        state.entries = state.entries.filter { $0.key > s }
        state.checkpointVotes = state.checkpointVotes.filter { $0.key > s }
        for k in state.ownCheckpoints.keys where k < s { state.ownCheckpoints[k] = nil }
        state.signedSlots = state.signedSlots.filter { $0.key.sequence > s }
        if let p = state.pendingStableProof, p.sequence <= s { state.pendingStableProof = nil }
        if state.nextSequence < s { state.nextSequence = s }
        ctx.emit(.persist(.stableCheckpoint(proof)))
        ctx.emit(.note(.checkpointStable(s)))
        if let fence = state.votingFence, s >= fence {
            state.votingFence = nil
            ctx.emit(.note(.votingResumed(at: s)))
            // Pre-prepares of this view accepted while votes were withheld (all above `s`) get
            // their PREPARE (and COMMIT, once prepared) now.
            if !state.isChangingView {
                for seq in state.entries.keys.sorted() where seq > s && state.entries[seq]?.view == state.view {
                    sendPrepare(seq, &ctx)
                    checkPrepared(seq, &ctx)
                }
            }
        }
        if state.pace.windowMayBeFull {
            state.pace.windowMayBeFull = false
            restartPaceClock(&ctx)
        }
        checkEpochComplete(&ctx)
        if isPrimary { tryPropose(&ctx) }
    }

    /// Requests state transfer when others hold a stable checkpoint above what we committed:
    /// immediately if it is beyond our high watermark (or `force`), otherwise only when the
    /// retransmission tick sees no progress.
    mutating func considerStateTransfer(force: Bool, _ ctx: inout Context<B>) {
        guard state.stateTransferTarget == nil else { return }
        var target: StateTransferTarget?
        if let p = state.pendingStableProof, p.sequence > state.lastCommitted {
            target = StateTransferTarget(sequence: p.sequence, blockHash: p.blockHash, checkpoints: p.checkpoints)
        }
        // f + 1 matching checkpoints above our committed state (the highest such).
        var groups: [Checkpoint: [Signed<Checkpoint>]] = [:]
        for c in state.latestCheckpointFrom.values where c.body.sequence > state.lastCommitted {
            groups[c.body, default: []].append(c)
        }
        for (cp, list) in groups where list.count >= configuration.weakQuorum {
            if cp.sequence > (target?.sequence ?? .zero) {
                target = StateTransferTarget(sequence: cp.sequence, blockHash: cp.blockHash, checkpoints: list.sorted { $0.signer < $1.signer })
            }
        }
        guard let t = target else { return }
        guard force || t.sequence > highWatermark else { return }
        state.stateTransferRequest = t
        state.counters.stateTransfersRequested += 1
        ctx.emit(.requestStateTransfer(t))
    }

    mutating func stateTransferred(_ seq: SequenceNumber, blockHash: Digest, timestampMs: UInt64, _ ctx: inout Context<B>) {
        if let t = state.stateTransferTarget, t <= seq {
            state.stateTransferRequest = nil
            restartPaceClock(&ctx)
        }
        guard seq > state.lastCommitted else { commitInOrder(&ctx); return }
        state.lastCommitted = seq
        state.lastExecuted = seq
        state.lastExecutedBlockHash = blockHash
        state.lastCommittedTimestampMs = max(state.lastCommittedTimestampMs, timestampMs)
        state.entries = state.entries.filter { $0.key > seq }
        if state.nextSequence < seq { state.nextSequence = seq }
        if seq.rawValue % configuration.checkpointInterval == 0 {
            sendCheckpoint(seq, blockHash: blockHash, &ctx)
        }
        if state.pendingStableProof == nil || state.pendingStableProof!.sequence < seq {
            // Checkpoints from beyond our old window may already prove the state we fetched stable.
            let matching = state.latestCheckpointFrom.values.filter { $0.body.sequence == seq && $0.body.blockHash == blockHash }
            if matching.count >= quorum {
                state.pendingStableProof = CheckpointProof(sequence: seq, blockHash: blockHash, checkpoints: matching.sorted { $0.signer < $1.signer })
            }
        }
        if let p = state.pendingStableProof, p.sequence <= seq {
            if p.sequence == seq && p.blockHash != blockHash {
                reject("state transfer", from: nil, "transferred block hash at \(seq) differs from the stable checkpoint", &ctx)
            } else {
                makeStable(p, &ctx)
            }
        }
        commitInOrder(&ctx)
        restartViewChangeTimer(&ctx)
        checkEpochComplete(&ctx)
    }
}
