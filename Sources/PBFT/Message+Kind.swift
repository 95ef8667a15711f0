/// Reading a message's type from its encoding without decoding it.
extension Message {
    /// Whether `bytes` (a `Message.encoded()`) is a COMMITTED-BATCH, judged from the type byte
    /// alone. A node that is fetching those very blocks by state transfer drops them with this
    /// before paying for decoding (a point check per key) and verification (every transaction's
    /// signature); a dropped message is a lost message, which PBFT tolerates.
    public static func isCommittedBatch(encoded bytes: some Collection<UInt8>) -> Bool {
        bytes.first == WireKind.committedBatch.rawValue
    }

    /// Whether `bytes` is a PRE-PREPARE (type byte alone). A node in state transfer drops those
    /// too: their batches would cost every transaction's signature check, while the blocks they
    /// order come by state transfer, or after it by retransmission.
    public static func isPrePrepare(encoded bytes: some Collection<UInt8>) -> Bool {
        bytes.first == WireKind.prePrepare.rawValue
    }
}
