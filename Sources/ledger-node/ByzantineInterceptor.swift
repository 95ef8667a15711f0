import Adversary
import LedgerCore
import LedgerCrypto
import Node
import PBFT

/// The `Adversary` module's strategies as the node's `MessageInterceptor` (`start --byzantine`,
/// test networks only): the node itself links no Byzantine code path of its own.
struct ByzantineInterceptor: MessageInterceptor {
    private var behaviour: any ByzantineBehaviour
    private let context: AdversaryContext

    var name: String { "\(behaviour.strategy)" }

    /// The strategies of `list` (comma-separated, applied in order, see `CombinedBehaviour`) for
    /// validator `replica` of `genesis`, signing with `key`. With `collude`, `double-vote`
    /// becomes the equivocating primary's accomplice (`Accomplice`). `amnesia` only marks the
    /// node: forgetting the log on restart is done by whoever restarts it (scripts/adversarial).
    init(strategies list: String, seed: UInt64, collude: Bool, replica: ReplicaID, genesis: Genesis,
         key: SigningKey) throws(NodeError) {
        var parts: [any ByzantineBehaviour] = []
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let strategy = ByzantineStrategy(rawValue: name) else {
                throw .invalidArgument("unknown --byzantine strategy '\(name)'; use one of \(ByzantineStrategy.names.joined(separator: ", "))")
            }
            if strategy == .doubleVote && collude {
                parts.append(Accomplice(replica: replica, replicaCount: genesis.validatorCount))
            } else {
                parts.append(strategy.makeBehaviour(seed: seed &+ UInt64(parts.count)))
            }
        }
        guard !parts.isEmpty else { throw .invalidArgument("--byzantine needs at least one strategy name") }
        behaviour = CombinedBehaviour(parts)
        context = AdversaryContext(
            replica: replica, replicaCount: genesis.validatorCount, chainID: genesis.chainID,
            signer: Ed25519MessageSigner(key: key), nowMs: 0,
            viewChangeTimeoutMs: genesis.consensus.viewChangeTimeoutMs, window: genesis.consensus.window)
    }

    mutating func observe(incoming message: LedgerMessage) { behaviour.observe(incoming: message) }

    mutating func filter(requests: [Transaction]) -> [Transaction] { behaviour.filter(requests: requests) }

    mutating func transform(_ message: LedgerMessage, to recipients: [ReplicaID], nowMs: UInt64) -> [InterceptedMessage] {
        var now = context
        now.nowMs = nowMs
        return behaviour.transform(message, to: recipients, context: now).map {
            InterceptedMessage($0.message, to: $0.recipients, delayMs: $0.delayMs)
        }
    }

    mutating func gossipRecipients(_ transactions: [Transaction], to recipients: [ReplicaID], primary: ReplicaID) -> [ReplicaID] {
        behaviour.gossipRecipients(transactions, to: recipients, primary: primary)
    }
}
