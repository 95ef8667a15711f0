import LedgerCore
import LedgerCrypto

/// What a consensus signature is bound to besides its body: the chain and the epoch (the
/// validator set's era; 0 from genesis, one more per validator-set change, decision 0038).
///
/// The same body signed in another chain or another epoch has other signing bytes, so a vote of
/// epoch `e` never counts in epoch `e + 1`, even with the same key, view and sequence number.
public struct SigningContext: Hashable, Sendable {
    /// The chain id every signature covers.
    public var chainID: String
    /// The epoch every signature covers.
    public var epoch: UInt64

    /// The context of `chainID` in `epoch`.
    public init(chainID: String, epoch: UInt64) {
        self.chainID = chainID
        self.epoch = epoch
    }
}

extension ReplicaConfiguration {
    /// The chain and epoch this replica signs and verifies in.
    public var signingContext: SigningContext { SigningContext(chainID: chainID, epoch: epoch) }
}
