import LedgerCore
import LedgerCrypto
import PBFT

/// The validator sets a node checks signatures against, by epoch (decision 0038): a signed part
/// of epoch `e` verifies only with the keys of `e`'s set, and a part of an epoch the node holds
/// no set for is refused before any signature is checked (`PBFTError.epochAhead` / `.epochBehind`).
///
/// The peer workers hold the replica's epoch and, while the retired replica of the previous
/// epoch still answers laggards, that one too; state transfer holds the current epoch and the
/// pending change's next set (a fetched range may cross the boundary). Every epoch's scheme
/// shares one memory of checked signatures (`SignatureMemo`).
public struct EpochKeys: Sendable {
    /// One epoch's validator keys (index = replica id in that epoch).
    public struct Entry: Sendable {
        public let epoch: UInt64
        public let scheme: CachingSignatureScheme
    }

    /// The sets held, in epoch order (at most a few).
    public private(set) var entries: [Entry] = []
    /// The memory every epoch's scheme shares.
    let memo: SignatureMemo

    /// No sets yet; schemes added later remember signatures in `memo`.
    public init(memo: SignatureMemo = SignatureMemo()) { self.memo = memo }

    /// One set: `validators` of `epoch`.
    public init(epoch: UInt64, validators: [Validator], memo: SignatureMemo = SignatureMemo()) {
        self.init(memo: memo)
        set(epoch: epoch, validators: validators)
    }

    /// Holds `validators` as the set of `epoch` (replacing one held for it).
    public mutating func set(epoch: UInt64, validators: [Validator]) {
        set(epoch: epoch, publicKeys: validators.map(\.publicKey))
    }

    /// Holds `publicKeys` (index = replica id) as the set of `epoch`.
    public mutating func set(epoch: UInt64, publicKeys: [PublicKey]) {
        let scheme = CachingSignatureScheme(Ed25519ValidatorKeys(publicKeys: publicKeys), memo: memo)
        entries.removeAll { $0.epoch == epoch }
        entries.append(Entry(epoch: epoch, scheme: scheme))
        entries.sort { $0.epoch < $1.epoch }
    }

    /// Forgets every set but those of `epochs`.
    public mutating func keep(_ epochs: Set<UInt64>) {
        entries.removeAll { !epochs.contains($0.epoch) }
    }

    /// The keys of `epoch`'s set, if held.
    public func scheme(epoch: UInt64) -> CachingSignatureScheme? {
        entries.first { $0.epoch == epoch }?.scheme
    }

    /// The keys of `epoch`, or the refusal for a part of an epoch not held (named against `local`, the node's epoch).
    public func scheme(epoch: UInt64, local: UInt64) throws(PBFTError) -> CachingSignatureScheme {
        if let scheme = scheme(epoch: epoch) { return scheme }
        throw epoch > local ? .epochAhead(message: epoch, local: local) : .epochBehind(message: epoch, local: local)
    }

    /// The largest set held: the bound messages are decoded with (each is then checked against its own epoch's set).
    public var decodingReplicaCount: Int { entries.map(\.scheme.replicaCount).max() ?? 0 }
}
