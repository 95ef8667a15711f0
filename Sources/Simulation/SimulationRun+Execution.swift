// The run: executing committed batches, the per-commit safety/validity/liveness checks, and simulated state transfer.
import LedgerCore
import LedgerCrypto
import PBFT

extension SimulationRun {
    /// Executes a committed batch on replica `id`'s ledger, checks it, and reports `.executed`.
    func commit(_ committed: CommittedBatch<Batch>, at id: ReplicaID) {
        let i = id.index
        let seq = committed.sequence
        if let problem = certificateProblem(committed.certificate, batch: committed.batch, sequence: seq) {
            contractViolations.append(Violation(
                property: .contract, time: now, detail: "\(id) committed \(seq) with a bad certificate: \(problem)"))
            return
        }
        let height = nodes[i].ledger.height
        if seq <= height {
            // Already executed (state transfer got there first): it must be the same batch.
            if let existing = nodes[i].ledger.committed(at: seq), existing.batch.digest != committed.batch.digest,
               honest.contains(id) {
                safety.recordCommit(replica: id, seq: seq, digest: existing.batch.digest, at: now)
                safety.recordCommit(replica: id, seq: seq, digest: committed.batch.digest, at: now)
            }
            if let header = nodes[i].ledger.header(at: seq) {
                followUps.append((id, .executed(seq, blockHash: header.hash)))
            }
            return
        }
        guard seq.rawValue == height.rawValue + 1 else {
            contractViolations.append(Violation(
                property: .contract, time: now,
                detail: "\(id) was told to commit \(seq) but has executed only up to \(height) (a gap)"))
            return
        }
        let hash = executeAndCheck(committed.batch, proposer: committed.proposer, certificate: committed.certificate, at: id)
        pushToFollower(.committedBatch(committed.certificate, batch: committed.batch), from: id)
        if traceSink != nil {
            let first = honest.contains(id) && seq > tracedCommit
            if first { tracedCommit = seq }
            trace("\(id) commit \(seq): \(committed.batch.transactions.count) tx, proposer \(committed.proposer), view \(committed.certificate.view), batch \(committed.batch.digest.hex.prefix(12)), "
                + "block \(hash.hex.prefix(12))", level: first ? .compact : .full)
        }
        followUps.append((id, .executed(seq, blockHash: hash)))
        if let ends = epochEnds(for: id, executedFrom: height, to: seq) { followUps.append((id, ends)) }
    }

    /// What is wrong with `certificate` as proof that `batch` committed at `sequence`, or `nil`.
    func certificateProblem(_ certificate: CommitCertificate, batch: Batch, sequence: SequenceNumber) -> String? {
        if case let .problem(reason) = checkedCertificate(certificate, batch: batch, sequence: sequence) { return reason }
        return nil
    }

    /// What checking a commit certificate found: the certificate verified (what a replica may be handed), or why not.
    enum CertificateCheck {
        case verified(Verified<CommitCertificate>)
        case problem(String)
    }

    /// `certificate` checked for `batch` at `sequence`: its height, its digest, its quorum and every signature.
    func checkedCertificate(_ certificate: CommitCertificate, batch: Batch, sequence: SequenceNumber) -> CertificateCheck {
        if certificate.sequence != sequence { return .problem("certificate is for \(certificate.sequence), not \(sequence)") }
        if certificate.digest != batch.digest { return .problem("certificate digest differs from the batch digest") }
        do {
            let epoch = epoch(ofBlock: sequence)
            return .verified(try certificate.verified(scheme: verifiers[Int(epoch)].scheme, context: parameters.signingContext(epoch: epoch),
                                                      quorum: parameters.quorumOverride))
        } catch {
            return .problem("\(error)")
        }
    }

    /// Executes the next block on `id`'s ledger and, for an honest replica, feeds the safety,
    /// validity and liveness checkers. Returns the block hash.
    @discardableResult
    func executeAndCheck(_ batch: Batch, proposer: ReplicaID, certificate: CommitCertificate, at id: ReplicaID) -> Digest {
        let before = nodes[id.index].ledger.membership
        let execution = nodes[id.index].ledger.execute(batch, proposer: proposer, certificate: certificate)
        let header = execution.block.header
        noteMembership(execution, before: before, at: id)
        guard honest.contains(id) else { return header.hash }
        let isFirst = safety.recordCommit(replica: id, seq: header.height, digest: batch.digest, at: now)
        safety.recordExecuted(replica: id, height: header.height, hash: header.hash, at: now)
        noteExecutedByHonest(header.height)
        // Later honest commits at this height carry the same batch (or agreement was reported).
        guard isFirst else { return header.hash }
        submitChangeIfDue(after: header.height)
        for tx in batch.transactions {
            // Exactly once: a request ordered again (a primary that proposed what a transfer had just committed)
            // fails its nonce at execution, but takes a slot and leaves a failed receipt under the same hash. A
            // Byzantine primary may do that on purpose (backups check a batch, not the chain's history); an honest
            // one never may.
            if let first = committedAt[tx.hash], first != header.height,
               let proposerNode = node(of: proposer, epoch: epoch(ofBlock: header.height)), honest.contains(proposerNode) {
                contractViolations.append(Violation(
                    property: .validity, time: now,
                    detail: "transaction \(tx.hash.hex.prefix(12))… committed at heights \(first.rawValue) and \(header.height.rawValue)"))
            } else if committedAt[tx.hash] == nil {
                committedAt[tx.hash] = header.height
            }
            if tx.chainID != parameters.chainID {
                safety.recordInvalidCommittedTransaction(
                    replica: id, seq: header.height, transaction: tx.hash,
                    reason: "chain id \(tx.chainID), expected \(parameters.chainID)", at: now)
            } else if !signatureCache.isValid(tx) {
                safety.recordInvalidCommittedTransaction(
                    replica: id, seq: header.height, transaction: tx.hash, reason: "signature does not verify", at: now)
            }
            if let c = client(sending: tx), clients[c].inFlight[tx.hash] != nil {
                clients[c].markCommitted(tx.hash)
                transactionsCommitted += 1
            }
            if let late = liveness.recordCommitted(tx.hash, at: now), checksLiveness {
                contractViolations.append(late)
            }
        }
        return header.hash
    }

    // MARK: State transfer

    func requestStateTransfer(_ target: StateTransferTarget, for id: ReplicaID) {
        guard !nodes[id.index].stateTransferPending else { return }
        nodes[id.index].stateTransferPending = true
        trace("\(id) requests state transfer to \(target.sequence) (has \(nodes[id.index].ledger.height))", level: .full)
        queue.schedule(
            .stateTransferDone(id, incarnation: nodes[id.index].incarnation, target: target),
            at: now.advanced(by: 2 * wireDelay() + 1))
    }

    /// Fetches the missing blocks from an honest donor, verifies each commit certificate,
    /// executes them, and tells the replica where it now stands.
    func completeStateTransfer(_ id: ReplicaID, incarnation: UInt64, target: StateTransferTarget) {
        let i = id.index
        guard nodes[i].isUp, nodes[i].incarnation == incarnation else { return }
        var transferred: [Digest] = []
        var certificates: [Verified<CommitCertificate>] = []
        let heightBefore = nodes[i].ledger.height
        if nodes[i].ledger.height < target.sequence {
            let donor = honest.first { d in
                d != id && nodes[d.index].isUp && nodes[d.index].ledger.height >= target.sequence
            }
            guard let donor else {
                // Nobody honest has the blocks yet; ask again shortly.
                queue.schedule(
                    .stateTransferDone(id, incarnation: incarnation, target: target), at: now.advanced(by: 200))
                return
            }
            let donorLedger = nodes[donor.index].ledger
            if donorLedger.header(at: target.sequence)?.hash != target.blockHash {
                if honest.contains(id) {
                    contractViolations.append(Violation(
                        property: .stateDivergence, time: now,
                        detail: "\(id) asked for block \(target.sequence) with hash \(target.blockHash.hex.prefix(16))… "
                            + "(vouched for by f + 1 checkpoints) but honest \(donor) has a different block there"))
                }
                nodes[i].stateTransferPending = false
                return
            }
            var height = nodes[i].ledger.height
            let crossChecked = height.rawValue &+ parameters.window
            while height < target.sequence {
                height = SequenceNumber(height.rawValue + 1)
                guard let block = donorLedger.committed(at: height) else { break }
                let verified: Verified<CommitCertificate>
                switch checkedCertificate(block.certificate, batch: block.batch, sequence: height) {
                case let .verified(v): verified = v
                case let .problem(problem):
                    contractViolations.append(Violation(
                        property: .contract, time: now,
                        detail: "state transfer: honest \(donor)'s certificate for \(height) does not verify: \(problem)"))
                    nodes[i].stateTransferPending = false
                    return
                }
                executeAndCheck(block.batch, proposer: block.proposer, certificate: block.certificate, at: id)
                transferred.append(contentsOf: block.batch.requests.map(\.requestDigest))
                // Verified once, above: the same certificate goes to the replica's equivocation cross-check.
                if height.rawValue <= crossChecked { certificates.append(verified) }
            }
            trace("\(id) state transfer from \(donor) complete at \(nodes[i].ledger.height)", level: .full)
        }
        nodes[i].stateTransferPending = false
        // As the node does: the certificates of fetched blocks a window above where the replica stood are compared
        // with the votes it received, before the transfer prunes them (equivocation evidence).
        if !certificates.isEmpty { feed(id, .transferredCertificates(certificates)) }
        // As the node does, and before `stateTransferred` (a primary proposes as soon as the transfer is over): the
        // requests of the fetched blocks are committed, so the replica neither proposes them again nor waits for
        // them (one it held would otherwise look unordered for ever, and make it suspect every primary it meets).
        if parameters.reportsTransferredRequests && !transferred.isEmpty { feed(id, .requestsCommitted(transferred)) }
        let ledger = nodes[i].ledger
        // As the node does, and before `stateTransferred`: a transfer that brought the change block ends the epoch.
        if let ends = epochEnds(for: id, executedFrom: heightBefore, to: ledger.height) { feed(id, ends) }
        feed(id, .stateTransferred(
            ledger.height, blockHash: ledger.lastBlockHashForConsensus,
            timestampMilliseconds: ledger.lastTimestampForConsensus))
    }
}
