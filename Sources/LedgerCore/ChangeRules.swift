/// What executing a validator-set change needs from the chain besides the membership: its id
/// (a change names the chain it is for) and the parameters that place the epoch boundary.
public struct ChangeRules: Hashable, Sendable {
    /// The chain's id.
    public let chainID: String
    /// The consensus parameters (window and checkpoint interval place the boundary).
    public let parameters: ConsensusParameters
    /// How many approvals a change needs instead of the current set's quorum, or `nil` (always, in a
    /// node). Set only by the simulator's self-test that shows what its membership check catches: a
    /// change applied without a quorum of the set that approves it.
    public var approvalQuorumOverride: Int?

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
