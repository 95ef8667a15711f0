import LedgerCore
import LedgerCrypto

/// The consensus core of a full node: it never votes, proposes or sends a consensus message; it
/// executes, in order, the batches a quorum committed.
///
/// Validators push every batch they commit (COMMITTED-BATCH: the batch and its commit certificate,
/// whose quorum of signatures the driver verified) and their CHECKPOINTs to the full nodes connected
/// to them. The follower commits the next batch in sequence as soon as one copy arrives, holds
/// batches that arrive early (at most a window's worth), and asks for state transfer
///   - anchored, when f + 1 validators' CHECKPOINTs vouch for a block above what it executed and
///     the next batch is missing (a long gap: the proof lets whole ranges skip signature checks);
///   - unanchored (every fetched block checked by its own certificate, up to the donors' heads),
///     at start, when a batch arrives after a gap, and on the probe timer when nothing was executed
///     for `probeIntervalMs` (so a follower that missed pushes on an idle chain still catches up).
/// Like `Replica` it has no I/O, clock or randomness; `checkInvariants` states what must hold.
public struct ChainFollower<B: ConsensusBatch>: ConsensusCore, Sendable {
    /// Validators in the set (n).
    public let replicaCount: Int
    /// Watermark window: how far ahead of the last executed block a batch is held.
    public let window: UInt64
    /// How often the follower checks that it made progress, ms.
    public let probeIntervalMs: UInt64

    /// The highest sequence number executed (the driver's height).
    public private(set) var lastExecuted: SequenceNumber = .zero
    /// The highest sequence number handed to the driver to execute.
    public private(set) var lastCommitted: SequenceNumber = .zero
    /// The view of the newest certificate seen.
    public private(set) var view: View = .zero
    /// Committed batches that arrived ahead of the next one, by sequence number.
    private var early: [SequenceNumber: (CommitCertificate, B)] = [:]
    /// CHECKPOINT votes above the last executed block, one per validator and sequence number (its first):
    /// at most 2 × window sequence numbers × n validators, whatever a Byzantine validator sends.
    private var checkpoints: [SequenceNumber: [ReplicaID: Signed<Checkpoint>]] = [:]
    /// A state transfer was asked for and has not reported back.
    public private(set) var isTransferring = false
    /// `lastExecuted` when the probe timer last fired.
    private var executedAtLastProbe: SequenceNumber = .zero
    private var started = false
    /// The last block of the set this follower follows, once a validator-set change is accepted
    /// (`Event.epochEnds`): batches above it belong to the next set, whose follower the driver
    /// starts after executing it (their proposer is a primary of that set).
    public var epochEnd: SequenceNumber?

    /// A follower of a chain with `replicaCount` validators.
    public init(replicaCount: Int, window: UInt64, probeIntervalMs: UInt64 = 1_000) {
        self.replicaCount = replicaCount
        self.window = max(1, window)
        self.probeIntervalMs = max(1, probeIntervalMs)
    }

    private var quorumRule: QuorumRule { QuorumRule(replicaCount) ?? .single }

    public mutating func handle(_ event: Event<B>, now: UInt64) -> [Action<B>] {
        var actions: [Action<B>] = []
        switch event {
        case let .start(recovered):
            started = true
            lastExecuted = recovered.lastExecuted
            lastCommitted = recovered.lastExecuted
            executedAtLastProbe = lastExecuted
            actions.append(.note(.started(view: view, lastExecuted: lastExecuted, changingView: false)))
            actions.append(.setTimer(.retransmit, afterMilliseconds: probeIntervalMs))
            requestTransfer(.unanchored(above: lastExecuted), &actions)
        case let .message(verified):
            guard started else { break }
            switch verified.message {
            case let .committedBatch(certificate, batch):
                receive(certificate, batch, &actions)
            case let .checkpoint(signed):
                receive(signed, &actions)
            default:
                break  // validators send a full node nothing else; nothing else concerns it
            }
        case .timerFired(.retransmit):
            actions.append(.setTimer(.retransmit, afterMilliseconds: probeIntervalMs))
            if lastExecuted == executedAtLastProbe { requestTransfer(.unanchored(above: lastExecuted), &actions) }
            executedAtLastProbe = lastExecuted
        case .timerFired:
            break
        case let .executed(sequence, _):
            lastExecuted = max(lastExecuted, sequence)
            lastCommitted = max(lastCommitted, lastExecuted)
            prune()
        case let .stateTransferred(sequence, _, _):
            isTransferring = false
            let before = lastExecuted
            lastExecuted = max(lastExecuted, sequence)
            lastCommitted = max(lastCommitted, lastExecuted)
            prune()
            commitReady(&actions)
            if lastExecuted > before {
                // The transfer brought blocks; there may be more (a round fetches a bounded number).
                // A round that brings nothing ends it; the probe timer tries again later.
                requestTransfer(.unanchored(above: lastExecuted), &actions)
            }
        case let .epochEnds(lastSequence):
            if epochEnd == nil { epochEnd = lastSequence }
            early = early.filter { $0.key <= lastSequence }
        case .requests, .requestsCommitted, .transferredCertificates:
            break  // the driver relays client transactions; the follower orders nothing
        }
        return actions
    }

    private mutating func receive(_ certificate: CommitCertificate, _ batch: B, _ actions: inout [Action<B>]) {
        let sequence = certificate.sequence
        guard sequence > lastCommitted, certificate.digest == batch.digest, epochEnd.map({ sequence <= $0 }) ?? true else { return }
        view = max(view, certificate.view)
        guard sequence.rawValue <= lastExecuted.rawValue &+ window else {
            requestTransfer(.unanchored(above: lastExecuted), &actions)
            return
        }
        if early[sequence] == nil { early[sequence] = (certificate, batch) }
        commitReady(&actions)
        if early.keys.contains(where: { $0 > lastCommitted }) { requestTransfer(.unanchored(above: lastExecuted), &actions) }
    }

    private mutating func receive(_ signed: Signed<Checkpoint>, _ actions: inout [Action<B>]) {
        let body = signed.body
        guard body.sequence > lastExecuted, body.sequence.rawValue <= lastExecuted.rawValue &+ window &* 2,
              signed.signer.index < replicaCount else { return }
        guard checkpoints[body.sequence]?[signed.signer] == nil else { return }
        checkpoints[body.sequence, default: [:]][signed.signer] = signed
        let votes = checkpoints[body.sequence, default: [:]].values.filter { $0.body.blockHash == body.blockHash }
        guard votes.count >= quorumRule.weakQuorum else { return }
        // Vouched for by at least one honest validator. Only worth a transfer when the next batch is
        // not already here to commit.
        if early[lastCommitted.adding(1) ?? lastCommitted] == nil && body.sequence > lastCommitted {
            let list = votes.sorted { $0.signer < $1.signer }
            requestTransfer(StateTransferTarget(sequence: body.sequence, blockHash: body.blockHash, checkpoints: list), &actions)
        }
    }

    /// Hands the driver every held batch that is next in sequence.
    private mutating func commitReady(_ actions: inout [Action<B>]) {
        guard !isTransferring else { return }
        while let next = lastCommitted.adding(1), epochEnd.map({ next <= $0 }) ?? true,
              let (certificate, batch) = early.removeValue(forKey: next) {
            lastCommitted = next
            actions.append(.commit(CommittedBatch(
                sequence: next, batch: batch, certificate: certificate,
                proposer: batch.view.primary(replicaCount: replicaCount))))
        }
    }

    private mutating func requestTransfer(_ target: StateTransferTarget, _ actions: inout [Action<B>]) {
        guard !isTransferring || target.isAnchored else { return }
        isTransferring = true
        actions.append(.requestStateTransfer(target))
    }

    private mutating func prune() {
        early = early.filter { $0.key > lastCommitted }
        checkpoints = checkpoints.filter { $0.key > lastExecuted }
    }

    // MARK: ConsensusCore

    public var intakeFilter: IntakeFilter<B> {
        IntakeFilter(lowWatermark: lastExecuted, lastCommitted: lastCommitted, wantedBatches: [],
                     highestWanted: SequenceNumber(lastExecuted.rawValue &+ window))
    }
    public var isChangingView: Bool { false }
    public func oldestUnorderedWaitMs(now: UInt64) -> UInt64 { 0 }
    public var currentProposalLatencyBoundMs: UInt64 { probeIntervalMs }
    public func openSlots(limit: Int) -> [OpenSlot] { [] }
    public var votingFence: SequenceNumber? { nil }
    public var followsUntilView: View? { nil }
    public var viewChangesAbandoned: Int { 0 }

    /// What must hold of the follower's own state; the violations, empty when it is sound.
    public func checkInvariants() -> [String] {
        var problems: [String] = []
        if lastCommitted < lastExecuted { problems.append("lastCommitted \(lastCommitted) below lastExecuted \(lastExecuted)") }
        if let low = early.keys.min(), low <= lastCommitted { problems.append("holds batch \(low) at or below lastCommitted \(lastCommitted)") }
        if early.count > Int(clamping: window) { problems.append("holds \(early.count) batches, more than the window \(window)") }
        if let end = epochEnd {
            if lastCommitted > end, lastCommitted > lastExecuted { problems.append("committed \(lastCommitted) beyond its set's last block \(end)") }
            if let high = early.keys.max(), high > end { problems.append("holds batch \(high) of the next set (its set ends at \(end))") }
        }
        if let high = checkpoints.keys.max(), high.rawValue > lastExecuted.rawValue &+ window &* 2 {
            problems.append("holds checkpoint votes for \(high), more than two windows above \(lastExecuted)")
        }
        return problems
    }
}
