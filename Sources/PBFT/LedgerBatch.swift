import LedgerCore
import LedgerCrypto

/// The ledger's `LedgerRequest` and `Batch` as the things PBFT orders, and the ledger-typed
/// aliases the node and the simulator use.

extension LedgerRequest: ConsensusRequest {
    /// Whose requests these are: a sender's transfers share a lane; every validator-set change
    /// shares the membership lane.
    public enum Lane: Hashable, Sendable {
        /// The transfers of one sender.
        case sender(PublicKey)
        /// Validator-set changes.
        case membership
    }

    /// The transaction hash or the change's hash.
    public var requestDigest: Digest { hash }
    /// The request's size in an encoded batch.
    public var encodedByteCount: Int { encodedSize }
    /// The sender for a transfer (batches take senders round-robin), the membership lane for a change.
    public var lane: Lane {
        switch self {
        case let .transfer(tx): .sender(tx.sender)
        case .validatorSetChange: .membership
        }
    }
    /// The nonce for a transfer: a sender's transactions are proposed in nonce order, one per
    /// nonce per batch (`Batch.validate` refuses a batch with two). 0 for every change, so a
    /// batch never holds two (`Limits.batchMaxChanges`).
    public var laneOrder: UInt64 {
        switch self {
        case let .transfer(tx): tx.nonce
        case .validatorSetChange: 0
        }
    }
}

extension Batch: ConsensusBatch {
    /// The batch's timestamp.
    public var timestampMilliseconds: UInt64 { timestamp }

    /// The transfers and the change, counted without building `requests` (the primary counts what its
    /// uncommitted proposals carry on every proposal decision).
    public var requestCount: Int { transactions.count + changes.count }

    /// The fixed part of a batch encoding (version, view, timestamp, count).
    public static var headerByteCount: Int { Limits.batchHeaderBytes }

    /// A batch cut by the primary.
    public static func make(view: View, timestampMilliseconds: UInt64, requests: [LedgerRequest]) -> Batch {
        Batch(view: view, timestamp: timestampMilliseconds, requests: requests)
    }

    /// Decodes a canonical batch; `nil` on malformed input.
    public static func decode(_ bytes: ArraySlice<UInt8>) -> Batch? {
        try? Batch.decode(Array(bytes))
    }
}

/// The ledger's consensus replica.
public typealias LedgerReplica = Replica<Batch>
/// A ledger consensus message.
public typealias LedgerMessage = Message<Batch>
/// A ledger consensus event.
public typealias LedgerEvent = Event<Batch>
/// A ledger consensus action.
public typealias LedgerAction = Action<Batch>
/// A ledger consensus-log record.
public typealias LedgerLogRecord = LogRecord<Batch>
/// A verifier for ledger consensus messages.
public typealias LedgerMessageVerifier = MessageVerifier<Batch>

extension MessageVerifier where B == Batch {
    /// The ledger's batch check: size within `limits`, every transaction for `chainID`, no
    /// duplicates, valid signatures (skipping hashes `isKnownValid` vouches for).
    public static func ledgerBatchCheck(
        chainID: String, limits: BatchLimits, isKnownValid: @escaping @Sendable (Digest) -> Bool = { _ in false },
        didVerify: @escaping @Sendable (Digest) -> Void = { _ in }
    ) -> @Sendable (Batch) -> BatchCheck {
        { batch in
            do throws(BatchError) {
                try batch.validate(chainID: chainID, limits: limits, isKnownValid: isKnownValid, didVerify: didVerify)
                return .valid
            } catch {
                return .invalid("\(error)")
            }
        }
    }
}
