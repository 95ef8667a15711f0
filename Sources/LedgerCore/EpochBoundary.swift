/// Where a validator-set change takes effect (decision 0038).
///
/// A change committed in block `s` of epoch `e` ends that epoch at the boundary
/// `a = ⌈(s + W) / K⌉ · K`, the first checkpoint at or after `s + W` (`W` the watermark window,
/// `K` the checkpoint interval). Slots up to `a` are ordered by epoch `e`'s set; epoch `e + 1`'s
/// set orders slots from `a + 1`, starting once checkpoint `a` is stable.
///
/// Why `s + W`: when block `s` commits anywhere, every replica's low watermark is below `s`, so
/// slots up to `s − 1 + W` may already be proposed under the old set. A slot above `s + W` can
/// only be proposed or voted on by a replica whose stable checkpoint is past `s`, which has
/// executed the change. So every replica that may touch a slot knows which set it belongs to.
public enum EpochBoundary {
    /// The last sequence number of the epoch a change committed at `committedAt` closes, or
    /// `nil` when the numbers overflow (the change is then refused) or the parameters are not a
    /// valid pair (`checkpointInterval` zero).
    public static func lastSequence(
        changeCommittedAt committedAt: SequenceNumber, window: UInt64, checkpointInterval: UInt64
    ) -> SequenceNumber? {
        guard checkpointInterval > 0 else { return nil }
        let (reach, overflow) = committedAt.rawValue.addingReportingOverflow(window)
        guard !overflow else { return nil }
        let remainder = reach % checkpointInterval
        if remainder == 0 { return SequenceNumber(reach) }
        let (boundary, overflowUp) = reach.addingReportingOverflow(checkpointInterval - remainder)
        return overflowUp ? nil : SequenceNumber(boundary)
    }
}
