import LedgerCore
import LedgerCrypto

/// The mempool gossip payload: signed transactions a validator admitted from its clients, sent to
/// every other validator so that any of them can propose them (after a view change too).
///
/// Body of an `EnvelopeKind.transactions` frame: count(4) ‖ per transaction: length(4) ‖ bytes.
/// One frame carries up to `NodeLimits.gossipTransactionsPerFrame` transactions, so a busy node
/// sends one frame per admission round instead of one per transaction.
public enum TransactionGossip {
    /// The frames (envelopes included) carrying `txs`, in order.
    public static func frames(_ txs: [Transaction]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var start = 0
        while start < txs.count {
            let end = min(txs.count, start + NodeLimits.gossipTransactionsPerFrame)
            var w = ByteWriter(capacity: 5 + (end - start) * 200)
            w.write(EnvelopeKind.transactions.rawValue)
            w.write(UInt32(end - start))
            for tx in txs[start..<end] {
                let bytes = tx.encoded()
                w.write(UInt32(bytes.count))
                w.writeRaw(bytes)
            }
            frames.append(w.bytes)
            start = end
        }
        return frames
    }

    /// The encoded transactions of a gossip body, each still to be decoded and verified. Lengths
    /// are bounded by the input and the transaction size limit; anything malformed is an error.
    public static func split(_ body: ArraySlice<UInt8>) throws(DecodingError) -> [[UInt8]] {
        try ByteReader.decode(Array(body)) { (r: inout ByteReader) throws(DecodingError) -> [[UInt8]] in
            let count = try r.readLength(
                width: 4, maximum: NodeLimits.gossipTransactionsPerFrame, minimumElementBytes: 4 + Limits.transactionMinBytes,
                "gossip transaction count")
            var out: [[UInt8]] = []
            out.reserveCapacity(count)
            for _ in 0..<count {
                let length = try r.readLength(width: 4, maximum: Limits.transactionMaxBytes, "gossip transaction length")
                out.append(Array(try r.readRaw(length, "gossip transaction")))
            }
            return out
        }
    }
}
