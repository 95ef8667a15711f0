/// Reading a message's type from its encoding without decoding it.
extension Message {
    /// Whether `bytes` (a `Message.encoded()`) is a COMMITTED-BATCH, judged from the type byte
    /// alone. A node that is fetching those very blocks by state transfer drops them with this
    /// before paying for decoding (a point check per key) and verification (every transaction's
    /// signature); a dropped message is a lost message, which PBFT tolerates.
    public static func isCommittedBatch(encoded bytes: some Collection<UInt8>) -> Bool {
        bytes.first == WireKind.committedBatch.rawValue
    }
}
