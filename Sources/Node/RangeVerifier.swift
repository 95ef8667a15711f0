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
    /// hold every account the range touches) and checks the anchor: the computed hash at its
    /// height must be the anchored hash, which authenticates every block from `range.from` up to
    /// it. Pure: nothing is read or written.
    public static func execute(_ range: VerifiedRange, on previous: BlockHeader, accounts: AccountState,
                                           replicaCount: Int) -> Result<[(BlockExecution, certificate: [UInt8]?)], StateTransferFailure> {
        guard range.from.rawValue == previous.height.rawValue &+ 1 else {
            return .failure(StateTransferFailure(
                reason: "range starts at \(range.from.rawValue), but the head is at \(previous.height.rawValue)"))
        }
        var state = accounts
        var header = previous
        var out: [(BlockExecution, certificate: [UInt8]?)] = []
        out.reserveCapacity(range.blocks.count)
        for (batch, certificate) in range.blocks {
            let proposer = batch.view.primary(replicaCount: replicaCount)
            let execution = StateTransition.execute(batch: batch, previous: header, proposer: proposer, accounts: state)
            state.apply(execution)
            header = execution.block.header
            if let anchor = range.anchor, anchor.height == header.height, anchor.blockHash != header.hash {
                return .failure(StateTransferFailure(reason:
                    "blocks \(range.from.rawValue)...\(anchor.height.rawValue) do not hash to the checkpointed block hash "
                    + "at \(anchor.height.rawValue) (forged, reordered or missing batch)"))
            }
            out.append((execution, certificate))
        }
        return .success(out)
    }

    /// Checks a fetched range as far as it can without executing it (see `VerifiedRange`):
    /// consecutive heights from `response.from`, batches decode, the anchor — `trusted` (the
    /// target) if its height lies inside the range, else the donor's stable-checkpoint proof,
    /// which must lie inside the range and carry 2f + 1 distinct valid signatures — and every
    /// block's certificate: for its height and batch digest, structurally complete, and with
    /// 2f + 1 distinct valid signatures for blocks above the anchor. Neither transaction
    /// signatures nor public keys are validated again: the batch is decoded with trusted keys
    /// and used only if the hash chain or its certificate ties it to what 2f + 1 validators
    /// agreed (at least one honest validator checked both). Never traps on the peer's bytes.
    public static func verify(_ response: BlockResponse, trusted: TransferAnchor?,
                                                 scheme: Ed25519ValidatorKeys, chainID: String,
                                                 replicaCount: Int) -> Result<VerifiedRange, StateTransferFailure> {
        let count = UInt64(response.blocks.count)
        guard count > 0 else { return .failure(StateTransferFailure(reason: "the response holds no blocks")) }
        let (lastRaw, overflow) = response.from.rawValue.addingReportingOverflow(count - 1)
        guard !overflow, response.from.rawValue > 0 else {
            return .failure(StateTransferFailure(reason: "the response's heights start at \(response.from.rawValue) and do not fit"))
        }
        let first = response.from, last = Height(lastRaw)
        let quorum = 2 * ((replicaCount - 1) / 3) + 1

        var anchor: TransferAnchor?
        var proof: CheckpointProof?
        var signatures = 0
        if let trusted, trusted.height >= first, trusted.height <= last {
            anchor = trusted
        } else if let bytes = response.checkpoint {
            let p: CheckpointProof
            do { p = try CheckpointProof.decode(bytes, replicaCount: replicaCount) } catch {
                return .failure(StateTransferFailure(reason: "checkpoint proof does not decode: \(error)"))
            }
            guard p.sequence >= first, p.sequence <= last else {
                return .failure(StateTransferFailure(
                    reason: "checkpoint proof for \(p.sequence) lies outside the served heights \(first)...\(last)"))
            }
            do { try p.verify(scheme: scheme, chainID: chainID, quorum: quorum) } catch {
                return .failure(StateTransferFailure(reason: "checkpoint proof for \(p.sequence): \(error)"))
            }
            signatures += p.checkpoints.count
            anchor = TransferAnchor(height: p.sequence, blockHash: p.blockHash, source: .checkpointProof)
            proof = p
        }

        var out: [(batch: Batch, certificate: [UInt8])] = []
        out.reserveCapacity(response.blocks.count)
        for (i, entry) in response.blocks.enumerated() {
            let height = Height(first.rawValue &+ UInt64(i))
            let batch: Batch
            let cert: CommitCertificate
            do { batch = try TrustedDecoding.batch(entry.batch) } catch {
                return .failure(StateTransferFailure(reason: "batch at \(height) does not decode: \(error)"))
            }
            do { cert = try CommitCertificate.decode(entry.certificate, replicaCount: replicaCount) } catch {
                return .failure(StateTransferFailure(reason: "certificate at \(height) does not decode: \(error)"))
            }
            guard cert.sequence == height else {
                return .failure(StateTransferFailure(reason: "certificate is for \(cert.sequence), block is \(height)"))
            }
            guard cert.digest == batch.digest else {
                return .failure(StateTransferFailure(reason: "certificate digest differs from the batch at \(height)"))
            }
            if let anchor, height <= anchor.height {
                // Authenticated by the hash chain once executed; the certificate is kept as served.
                do { try cert.validateStructure(replicaCount: replicaCount) } catch {
                    return .failure(StateTransferFailure(reason: "certificate at \(height): \(error)"))
                }
            } else {
                do { try cert.verify(scheme: scheme, chainID: chainID) } catch {
                    return .failure(StateTransferFailure(reason: "certificate at \(height): \(error)"))
                }
                signatures += cert.commits.count
            }
            out.append((batch, entry.certificate))
        }
        return .success(VerifiedRange(from: first, blocks: out, anchor: anchor, proof: proof, signaturesChecked: signatures))
    }
}

/// Why a fetched range was refused.
public struct StateTransferFailure: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var reason: String
    public var description: String { reason }
}
