import LedgerCore
import LedgerCrypto

/// The ledger's `Transaction` and `Batch` as the things PBFT orders, and the ledger-typed
/// aliases the node and the simulator use.

extension Transaction: ConsensusRequest {
    /// The transaction hash.
    public var requestDigest: Digest { hash }
    /// The transaction's encoded size.
    public var encodedByteCount: Int { encodedSize }
    /// The sender: batches take senders round-robin.
    public var lane: PublicKey { sender }
    /// The nonce: a sender's transactions are proposed in nonce order, one per nonce per batch
    /// (`Batch.validate` refuses a batch with two).
    public var laneOrder: UInt64 { nonce }
}

extension Batch: ConsensusBatch {
    /// The batch's timestamp.
    public var timestampMilliseconds: UInt64 { timestamp }
    /// The batch's transactions.
    public var requests: [Transaction] { transactions }

    /// The fixed part of a batch encoding (version, view, timestamp, count).
    public static var headerByteCount: Int { Limits.batchHeaderBytes }

    /// A batch cut by the primary.
    public static func make(view: View, timestampMilliseconds: UInt64, requests: [Transaction]) -> Batch {
        Batch(view: view, timestamp: timestampMilliseconds, transactions: requests)
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
