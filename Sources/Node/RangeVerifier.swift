import LedgerCore
import LedgerCrypto
import LedgerStore
import PBFT

/// The pure half of state transfer: how ranges are cut, and how a fetched range is checked and
/// executed before anything of it is written (`ConsensusDriver+StateTransfer.swift` drives it).
/// Nothing here reads or writes a store, and nothing traps on a peer's bytes.
public enum RangeVerifier {
    /// How many blocks to ask for from `from`: at most `wanted` and the per-request limit, never
    /// past `last`, and, unless the range reaches `last`, cut so that it ends at a checkpoint
    /// sequence number (where the donor has a proof that anchors it) when one lies inside it.
    static func rangeCount(from: Height, upTo last: SequenceNumber, wanted: UInt32,
                                       checkpointInterval: UInt64) -> UInt32 {
        guard last.rawValue >= from.rawValue else { return 1 }
        let missing = last.rawValue - from.rawValue + 1
        var count = min(UInt64(wanted), UInt64(NodeLimits.stateTransferBlocksPerRequest), missing)
        count = max(count, 1)
        let end = from.rawValue + count - 1  // <= last
        if end < last.rawValue, checkpointInterval > 0 {
            let aligned = end / checkpointInterval * checkpointInterval
            if aligned >= from.rawValue { count = aligned - from.rawValue + 1 }
        }
        return UInt32(count)
    }


    /// Executes the blocks of `range` in order on top of `previous` with `accounts` (which must
    /// hold every account the range touches) and `membership` (the one after `previous`; each
    /// block's proposer is its view's primary in the set of its epoch) and checks the anchor: the
    /// computed hash at its height must be the anchored hash, which authenticates every block from
    /// `range.from` up to it. Pure: nothing is read or written.
    public static func execute(_ range: VerifiedRange, on previous: BlockHeader, accounts: AccountState,
                               membership: Membership, rules: ChangeRules)
    -> Result<[(BlockExecution, certificate: [UInt8]?)], StateTransferFailure> {
        guard range.from.rawValue == previous.height.rawValue &+ 1 else {
            return .failure(.notOnHead(from: range.from.rawValue, head: previous.height.rawValue))
        }
        var state = accounts
        var header = previous
        var current = membership
        var out: [(BlockExecution, certificate: [UInt8]?)] = []
        out.reserveCapacity(range.blocks.count)
        for (i, (batch, certificate)) in range.blocks.enumerated() {
            // The block belongs to the epoch of the membership it executes under: a certificate signed in another
            // epoch does not count for it (a set that ended — or was never in force — signs nothing here).
            let height = range.from.rawValue &+ UInt64(i)
            if i < range.certificateEpochs.count, let epoch = range.certificateEpochs[i], epoch != current.epoch {
                return .failure(.certificateOfOtherEpoch(height: height, epoch: epoch, blockEpoch: current.epoch))
            }
            if let proof = range.proof, proof.sequence.rawValue == height, let epoch = range.proofEpoch, epoch != current.epoch {
                return .failure(.certificateOfOtherEpoch(height: height, epoch: epoch, blockEpoch: current.epoch))
            }
            let proposer = batch.view.primary(replicaCount: current.validators.count)
            let execution = StateTransition.execute(
                batch: batch, previous: header, proposer: proposer, accounts: state, membership: current, rules: rules)
            state.apply(execution)
            current = execution.membership
            header = execution.block.header
            if let anchor = range.anchor, anchor.height == header.height, anchor.blockHash != header.hash {
                return .failure(.anchorMismatch(from: range.from.rawValue, anchor: anchor.height.rawValue))
            }
            out.append((execution, certificate))
        }
        return .success(out)
    }

    /// `verify(_:trusted:keys:chainID:)` for a chain of one epoch: every part must be of epoch 0, signed by `scheme`'s keys.
    public static func verify(_ response: BlockResponse, trusted: TransferAnchor?, scheme: Ed25519ValidatorKeys,
                              chainID: String, replicaCount: Int) -> Result<VerifiedRange, StateTransferFailure> {
        var keys = EpochKeys()
        keys.set(epoch: 0, publicKeys: scheme.publicKeys)
        return verify(response, trusted: trusted, keys: keys, chainID: chainID)
    }

    /// Checks a fetched range as far as it can without executing it (see `VerifiedRange`):
    /// consecutive heights from `response.from`, batches decode, the anchor — `trusted` (the
    /// target) if its height lies inside the range, else the donor's stable-checkpoint proof,
    /// which must lie inside the range and carry a quorum of distinct valid signatures — and every
    /// block's certificate: for its height and batch digest, structurally complete, and with
    /// a quorum of distinct valid signatures for blocks above the anchor. Neither transaction
    /// signatures nor public keys are validated again: the batch is decoded with trusted keys
    /// and used only if the hash chain or its certificate ties it to what a quorum of validators
    /// agreed (at least one honest validator checked both). Never traps on the peer's bytes.
    ///
    /// Each certificate and the proof are checked against the set of the epoch their signatures
    /// name, among `keys` (the node's current epoch and, once a change is pending, the next): a
    /// part of an epoch not held is refused as `.epochNotHeld` before any signature is checked.
    /// Whether that epoch is the block's own is checked at execution, where the membership of
    /// every height is known (`execute`).
    public static func verify(_ response: BlockResponse, trusted: TransferAnchor?, keys: EpochKeys,
                              chainID: String) -> Result<VerifiedRange, StateTransferFailure> {
        let count = UInt64(response.blocks.count)
        guard count > 0 else { return .failure(.empty) }
        let (lastRaw, overflow) = response.from.rawValue.addingReportingOverflow(count - 1)
        guard !overflow, response.from.rawValue > 0 else {
            return .failure(.heightsOutOfRange(from: response.from.rawValue))
        }
        let first = response.from, last = Height(lastRaw)
        let replicaCount = keys.decodingReplicaCount
        guard replicaCount > 0 else { return .failure(.epochNotHeld(height: first.rawValue, epoch: 0)) }

        var anchor: TransferAnchor?
        var proof: CheckpointProof?
        var signatures = 0
        var proofEpoch: UInt64?
        if let trusted, trusted.height >= first, trusted.height <= last {
            anchor = trusted
        } else if let bytes = response.checkpoint {
            let p: CheckpointProof
            do { p = try CheckpointProof.decode(bytes, replicaCount: replicaCount) } catch {
                return .failure(.proofUndecodable("\(error)"))
            }
            guard p.sequence >= first, p.sequence <= last else {
                return .failure(.proofOutside(sequence: p.sequence.rawValue, first: first.rawValue, last: last.rawValue))
            }
            let epoch = p.checkpoints.first?.epoch ?? 0
            guard let scheme = keys.scheme(epoch: epoch) else {
                return .failure(.epochNotHeld(height: p.sequence.rawValue, epoch: epoch))
            }
            let quorum = (QuorumRule(scheme.replicaCount) ?? .single).quorum
            do { try p.verify(scheme: scheme, context: SigningContext(chainID: chainID, epoch: epoch), quorum: quorum) } catch {
                return .failure(.proofInvalid(sequence: p.sequence.rawValue, "\(error)"))
            }
            proofEpoch = epoch
            signatures += p.checkpoints.count
            anchor = TransferAnchor(height: p.sequence, blockHash: p.blockHash, source: .checkpointProof)
            proof = p
        }

        var out: [(batch: Batch, certificate: [UInt8])] = []
        out.reserveCapacity(response.blocks.count)
        var epochs: [UInt64?] = []
        epochs.reserveCapacity(response.blocks.count)
        for (i, entry) in response.blocks.enumerated() {
            let height = Height(first.rawValue &+ UInt64(i))
            let batch: Batch
            let cert: CommitCertificate
            do { batch = try TrustedDecoding.batch(entry.batch) } catch {
                return .failure(.batchUndecodable(height: height.rawValue, "\(error)"))
            }
            do { cert = try CommitCertificate.decode(entry.certificate, replicaCount: replicaCount) } catch {
                return .failure(.certificateUndecodable(height: height.rawValue, "\(error)"))
            }
            guard cert.sequence == height else {
                return .failure(.certificateForOtherHeight(sequence: cert.sequence.rawValue, height: height.rawValue))
            }
            guard cert.digest == batch.digest else {
                return .failure(.certificateDigestMismatch(height: height.rawValue))
            }
            if let anchor, height <= anchor.height {
                // Authenticated by the hash chain once executed; the certificate is kept as served, checked for the
                // structure its epoch's set asks (its epoch is checked against the block's at execution).
                let epoch = cert.commits.first?.epoch ?? 0
                guard let scheme = keys.scheme(epoch: epoch) else {
                    return .failure(.epochNotHeld(height: height.rawValue, epoch: epoch))
                }
                do { try cert.validateStructure(replicaCount: scheme.replicaCount) } catch {
                    return .failure(.certificateInvalid(height: height.rawValue, "\(error)"))
                }
                epochs.append(epoch)
            } else {
                let epoch = cert.commits.first?.epoch ?? 0
                guard let scheme = keys.scheme(epoch: epoch) else {
                    return .failure(.epochNotHeld(height: height.rawValue, epoch: epoch))
                }
                do { try cert.verify(scheme: scheme, context: SigningContext(chainID: chainID, epoch: epoch)) } catch {
                    return .failure(.certificateInvalid(height: height.rawValue, "\(error)"))
                }
                signatures += cert.commits.count
                epochs.append(epoch)
            }
            out.append((batch, entry.certificate))
        }
        var range = VerifiedRange(from: first, blocks: out, anchor: anchor, proof: proof, signaturesChecked: signatures)
        range.certificateEpochs = epochs
        range.proofEpoch = proofEpoch
        return .success(range)
    }
}

/// Why a fetched block range was refused (nothing of it is written; the donor is skipped).
public enum StateTransferFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The response holds no blocks.
    case empty
    /// The response's heights start at `from` (0, or too high for the blocks to fit).
    case heightsOutOfRange(from: UInt64)
    /// The response covers other heights than requested.
    case otherHeights
    /// The range starts at `from`, but this node's head is at `head`.
    case notOnHead(from: UInt64, head: UInt64)
    /// The donor's checkpoint proof does not decode.
    case proofUndecodable(String)
    /// The checkpoint proof is for `sequence`, outside the served heights `first...last`.
    case proofOutside(sequence: UInt64, first: UInt64, last: UInt64)
    /// The checkpoint proof for `sequence` does not verify.
    case proofInvalid(sequence: UInt64, String)
    /// The batch at `height` does not decode.
    case batchUndecodable(height: UInt64, String)
    /// The certificate at `height` does not decode.
    case certificateUndecodable(height: UInt64, String)
    /// The certificate is for `sequence`, but the block is at `height`.
    case certificateForOtherHeight(sequence: UInt64, height: UInt64)
    /// The certificate's digest differs from the batch at `height`.
    case certificateDigestMismatch(height: UInt64)
    /// The certificate at `height` is incomplete or its signatures do not verify.
    case certificateInvalid(height: UInt64, String)
    /// A certificate (or the checkpoint proof) names `epoch`, for which this node holds no validator set yet
    /// (or no longer): not the donor's fault when the range crosses a boundary the node has not reached.
    case epochNotHeld(height: UInt64, epoch: UInt64)
    /// The certificate (or proof) at `height` was signed in `epoch`, but the block belongs to `blockEpoch`.
    case certificateOfOtherEpoch(height: UInt64, epoch: UInt64, blockEpoch: UInt64)
    /// Executed, blocks `from...anchor` do not hash to the checkpointed block hash at `anchor`.
    case anchorMismatch(from: UInt64, anchor: UInt64)

    public var description: String {
        switch self {
        case .empty: "the response holds no blocks"
        case let .heightsOutOfRange(from): "the response's heights start at \(from) and do not fit"
        case .otherHeights: "the response covers other heights than requested"
        case let .notOnHead(from, head): "range starts at \(from), but the head is at \(head)"
        case let .proofUndecodable(e): "checkpoint proof does not decode: \(e)"
        case let .proofOutside(seq, first, last): "checkpoint proof for \(seq) lies outside the served heights \(first)...\(last)"
        case let .proofInvalid(seq, e): "checkpoint proof for \(seq): \(e)"
        case let .batchUndecodable(h, e): "batch at \(h) does not decode: \(e)"
        case let .certificateUndecodable(h, e): "certificate at \(h) does not decode: \(e)"
        case let .certificateForOtherHeight(seq, h): "certificate is for \(seq), block is \(h)"
        case let .certificateDigestMismatch(h): "certificate digest differs from the batch at \(h)"
        case let .certificateInvalid(h, e): "certificate at \(h): \(e)"
        case let .epochNotHeld(h, e): "the signatures at \(h) are of epoch \(e), whose validator set this node does not hold yet"
        case let .certificateOfOtherEpoch(h, e, b): "the certificate at \(h) is of epoch \(e), but the block belongs to epoch \(b)"
        case let .anchorMismatch(from, anchor):
            "blocks \(from)...\(anchor) do not hash to the checkpointed block hash at \(anchor) (forged, reordered or missing batch)"
        }
    }
}
