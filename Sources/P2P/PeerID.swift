/// A validator's index in the genesis validator set, as the transport names peers.
///
/// It means the same as `LedgerCore.ReplicaID.index`; P2P may import only LedgerCrypto
/// (docs/architecture.md §1), so the node converts with `PeerID(replica.index)` and `ReplicaID(peer.index)`.
/// On the wire it is a 32-bit big-endian unsigned integer.
public struct PeerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The index in the validator set.
    public var index: Int

    /// Wraps a validator index.
    public init(_ index: Int) { self.index = index }

    public var description: String { "r\(index)" }

    public static func < (lhs: PeerID, rhs: PeerID) -> Bool { lhs.index < rhs.index }
}
