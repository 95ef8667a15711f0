import LedgerCore

/// One message this replica signed (or a state it must not forget), as kept in the consensus log.
///
/// The store treats `kind` and `bytes` as opaque: their meaning belongs to the consensus layer.
public struct ConsensusLogRecord: Hashable, Sendable {
    /// Position in the log, assigned by `appendConsensusLog` (increasing; `nil` before appending).
    public var id: Int64?
    /// The view the message belongs to.
    public var view: View
    /// The sequence number it is about; `pruneConsensusLog(below:)` discards records under a stable checkpoint.
    public var sequenceNumber: SequenceNumber
    /// The consensus layer's tag for the message type.
    public var kind: UInt8
    /// The encoded message.
    public var bytes: [UInt8]

    /// A record to append (its `id` is assigned when stored).
    public init(view: View, sequenceNumber: SequenceNumber, kind: UInt8, bytes: [UInt8], id: Int64? = nil) {
        self.id = id
        self.view = view
        self.sequenceNumber = sequenceNumber
        self.kind = kind
        self.bytes = bytes
    }
}
