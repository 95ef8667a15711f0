import LedgerCrypto

/// How the transport names a peer: a validator by its index in the current validator set (the genesis set until
/// `PeerNetwork.replaceValidatorSet`; a removal shifts the indices above it down by one), a full
/// node by a number derived from its public key.
///
/// A validator's id means the same as `LedgerCore.ReplicaID.index`; P2P may import only LedgerCrypto
/// (docs/architecture.md §1), so the node converts with `PeerID(replica.index)` and `ReplicaID(peer.index)`.
/// On the wire a validator id is a 32-bit big-endian unsigned integer and a full node sends
/// `fullNodeWireID` followed by its key (`Hello`). A full node's id is 2^62 plus 62 bits of the
/// BLAKE2b-256 of its key: far above any validator index, and another key with the same id would
/// take about 2^62 tries to find.
public struct PeerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The index in the validator set, or a full node's key-derived number (≥ `fullNodeBase`).
    public var index: Int

    /// Wraps a validator index.
    public init(_ index: Int) { self.index = index }

    /// The id of the full node whose key is `key`.
    public init(fullNodeKey key: PublicKey) {
        let digest = Hash.blake2b256(Array("bft-ledger/p2p/full-node-id".utf8) + key.bytes)
        var value: UInt64 = 0
        for byte in digest.bytes.prefix(8) { value = value << 8 | UInt64(byte) }
        index = PeerID.fullNodeBase | Int(value & (UInt64(1) << 62 - 1))
    }

    /// Ids at or above this are full nodes.
    public static let fullNodeBase = 1 << 62
    /// The validator id a full node sends in its Hello (then its key).
    static let fullNodeWireID = UInt32.max

    /// Whether this is a full node (not in the validator set).
    public var isFullNode: Bool { index >= PeerID.fullNodeBase }

    public var description: String {
        isFullNode ? "full-" + String(index & (PeerID.fullNodeBase - 1), radix: 16).prefix(8) : "r\(index)"
    }

    public static func < (lhs: PeerID, rhs: PeerID) -> Bool { lhs.index < rhs.index }
}
