/// What executing a validator-set change needs from the chain besides the membership: its id
/// (a change names the chain it is for) and the parameters that place the epoch boundary.
public struct ChangeRules: Hashable, Sendable {
    /// The chain's id.
    public let chainID: String
    /// The consensus parameters (window and checkpoint interval place the boundary).
    public let parameters: ConsensusParameters

    /// Rules from their parts.
    public init(chainID: String, parameters: ConsensusParameters) {
        self.chainID = chainID
        self.parameters = parameters
    }

    /// The rules of `genesis`'s chain.
    public init(genesis: Genesis) {
        self.init(chainID: genesis.chainID, parameters: genesis.consensus)
    }
}
