/// What a node does on the network: votes in consensus, or follows the committed chain.
public enum NodeRole: String, Sendable, Equatable {
    /// A member of the genesis validator set: runs PBFT, signs, counts toward quorums.
    case validator
    /// A non-voting node: follows the chain (commit certificates verified), serves JSON-RPC and relays
    /// transactions to the validators. Never a primary, never in a quorum.
    case full
}
