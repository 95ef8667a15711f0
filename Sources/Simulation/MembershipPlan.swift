// The run's planned validator-set changes (`SimulationParameters.membershipChanges`), one per epoch, and the set of
// every epoch they lead to. A node is a stable slot of the simulation (its index in `SimulationRun.nodes`: the genesis
// validators 0..<n, then one per added validator); its replica id in an epoch is its position in that epoch's set,
// which the ledger renumbers at every change (`ValidatorSetChange.nextSet`: a removal shifts later ids down, an add
// appends, a rotation keeps the place with a new key). A key slot names one key identity: the consensus secret
// `SimulationKeys` draws for it and the Ed25519 key `SimulationParameters.ledgerValidatorKey(slot)` the ledger
// knows it by (genesis validators 0..<n, then one per added or rotated key, in plan order).
import LedgerCore
import LedgerCrypto
import PBFT

/// What one planned change does.
public enum MembershipChangeKind: String, CaseIterable, Hashable, Sendable {
    /// A new validator (a new node) joins at the end of the set.
    case add
    /// A validator leaves; later ids shift down.
    case remove
    /// A validator keeps its place with a new key.
    case rotate

    /// Kinds from a comma-separated list (`add,remove,rotate`), or `nil` for an unknown name.
    public static func parseList(_ text: String) -> [MembershipChangeKind]? {
        var kinds: [MembershipChangeKind] = []
        for part in text.split(separator: ",") {
            guard let kind = MembershipChangeKind(rawValue: String(part.filter { $0 != " " })) else { return nil }
            kinds.append(kind)
        }
        return kinds.isEmpty ? nil : kinds
    }
}

/// The validator set of one epoch as the simulator maps it.
struct EpochSet {
    /// The node of each replica id (`nodes[id]`).
    let nodes: [Int]
    /// The key slot of each replica id.
    let keySlots: [Int]
    /// The replica id of each node, -1 for a node outside the set.
    let positions: [Int]

    init(nodes: [Int], keySlots: [Int], nodeCount: Int) {
        self.nodes = nodes
        self.keySlots = keySlots
        var positions = [Int](repeating: -1, count: nodeCount)
        for (id, node) in nodes.enumerated() { positions[node] = id }
        self.positions = positions
    }

    var count: Int { nodes.count }

    /// The replica id of `node` in this set, if it is a member.
    func replica(ofNode node: Int) -> ReplicaID? {
        node >= 0 && node < positions.count && positions[node] >= 0 ? ReplicaID(positions[node]) : nil
    }

    /// The node of replica `id`, if the set has one.
    func node(of id: ReplicaID) -> Int? {
        id.index >= 0 && id.index < nodes.count ? nodes[id.index] : nil
    }

    /// The validators as the ledger lists them (Ed25519 key of each key slot, in id order).
    var publicKeys: [PublicKey] { keySlots.map { SimulationParameters.ledgerValidatorKey($0).publicKey } }
}

/// One planned change: what it does to whom, and the operator's signed change.
struct PlannedChange {
    let kind: MembershipChangeKind
    /// The node added, removed or re-keyed.
    let subject: Int
    /// The change as submitted (for epoch `index`, approved by the first validators of that epoch's set).
    let change: ValidatorSetChange
}

/// Every planned change and the set of every epoch, worked out before the run from the plan and the seed.
struct MembershipPlan {
    /// `sets[e]`: the set of epoch `e` (epoch 0: genesis; `e + 1`: after `changes[e]`).
    let sets: [EpochSet]
    let changes: [PlannedChange]
    /// Nodes in the run: the genesis validators and one per add.
    let nodeCount: Int
    /// Key identities in the run: the genesis validators' and one per add or rotation.
    let keyCount: Int

    /// Why `kinds` cannot run from `replicaCount` genesis validators (a set would leave the ledger's size range), or `nil`.
    static func problem(kinds: [MembershipChangeKind], replicaCount: Int) -> String? {
        if replicaCount + kinds.filter({ $0 == .add }).count > ReplicaSet.capacity {
            return "the membership changes need more than \(ReplicaSet.capacity) nodes"
        }
        var size = replicaCount
        for (i, kind) in kinds.enumerated() {
            switch kind {
            case .add: size += 1
            case .remove: size -= 1
            case .rotate: break
            }
            if size < 4 || size > min(Limits.validatorsMax, ReplicaSet.capacity) {
                return "membership change \(i + 1) (\(kind.rawValue)) would leave \(size) validators; the ledger keeps 4…\(Limits.validatorsMax)"
            }
        }
        return nil
    }

    /// Key identities `kinds` need from `replicaCount` genesis validators.
    static func keyCount(kinds: [MembershipChangeKind], replicaCount: Int) -> Int {
        replicaCount + kinds.filter { $0 != .remove }.count
    }

    /// The plan for `parameters` in a run of `replicaCount` genesis validators with `byzantine` nodes; who is removed
    /// or re-keyed is drawn from `seed` on a stream of its own (the run's stream is untouched). A removal never
    /// leaves more Byzantine validators than the next set tolerates.
    init(parameters: SimulationParameters, replicaCount n: Int, byzantine: ReplicaSet, seed: UInt64) {
        let kinds = parameters.plannedChangeKinds
        let nodeCount = n + kinds.filter { $0 == .add }.count
        var random = SimulationRandom(seed: seed ^ 0x6D65_6D62_6572_7368)
        var nodes = Array(0..<n)
        var keys = Array(0..<n)
        var sets = [EpochSet(nodes: nodes, keySlots: keys, nodeCount: nodeCount)]
        var changes: [PlannedChange] = []
        var nextNode = n
        var nextKey = n
        for (epoch, kind) in kinds.enumerated() {
            let operation: ValidatorSetChange.Operation
            let subject: Int
            switch kind {
            case .add:
                subject = nextNode
                operation = .add(publicKey: SimulationParameters.ledgerValidatorKey(nextKey).publicKey,
                                 p2pAddress: "replica-\(nextKey).sim:1", rpcAddress: nil)
                nodes.append(nextNode)
                keys.append(nextKey)
                nextNode += 1
                nextKey += 1
            case .remove:
                let f = (QuorumRule(nodes.count - 1) ?? .single).f
                let byzantineMembers = nodes.filter { byzantine.contains(ReplicaID($0)) }
                let candidates = byzantineMembers.count > f ? byzantineMembers : nodes
                let position = nodes.firstIndex(of: candidates[random.index(candidates.count)])!
                subject = nodes[position]
                operation = .remove(publicKey: SimulationParameters.ledgerValidatorKey(keys[position]).publicKey)
                nodes.remove(at: position)
                keys.remove(at: position)
            case .rotate:
                let position = random.index(nodes.count)
                subject = nodes[position]
                // The sabotage names another new key than the one the simulator maps (its check must report it).
                let named = parameters.membershipSabotage == .wrongPlannedSet ? nextKey + 64 : nextKey
                operation = .rotate(old: SimulationParameters.ledgerValidatorKey(keys[position]).publicKey,
                                    new: SimulationParameters.ledgerValidatorKey(named).publicKey)
                keys[position] = nextKey
                nextKey += 1
            }
            let approvers = sets[epoch].keySlots
            let quorum = (QuorumRule(approvers.count) ?? .single).quorum
            var approvals = min(parameters.changeApprovals ?? quorum, approvers.count)
            if parameters.underApprovedChange == epoch { approvals = quorum - 1 }
            // A change of at most 16 operations on a chain id of at most 64 bytes always encodes.
            var change = try! ValidatorSetChange(chainID: parameters.chainID, epoch: UInt64(epoch), operations: [operation])
            for slot in approvers.prefix(approvals) { change = change.approved(by: SimulationParameters.ledgerValidatorKey(slot)) }
            changes.append(PlannedChange(kind: kind, subject: subject, change: change))
            sets.append(EpochSet(nodes: nodes, keySlots: keys, nodeCount: nodeCount))
        }
        self.sets = sets
        self.changes = changes
        self.nodeCount = nodeCount
        keyCount = nextKey
    }
}
