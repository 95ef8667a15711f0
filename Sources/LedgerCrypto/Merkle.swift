/// Merkle trees over transaction hashes.
///
/// Leaves are hashed as `H(0x00 ‖ leaf)` and inner nodes as `H(0x01 ‖ left ‖ right)`, so a
/// leaf can never be passed off as an inner node (second-preimage guard). An odd node at
/// the end of a level is promoted unchanged (no duplication, so no CVE-2012-2459 style
/// mutation). The root of no leaves is `H("")` with no prefix — distinct from any tree.
public enum Merkle {
    /// One step of an inclusion proof: the sibling digest and which side it is on.
    public struct ProofStep: Hashable, Sendable {
        /// The sibling's digest.
        public var sibling: Digest
        /// `true` when the sibling is the left child (the path node is on the right).
        public var siblingIsLeft: Bool

        public init(sibling: Digest, siblingIsLeft: Bool) {
            self.sibling = sibling
            self.siblingIsLeft = siblingIsLeft
        }
    }

    /// `H(0x00 ‖ leaf)`.
    public static func leafHash(_ leaf: Digest) -> Digest {
        var h = Hasher256()
        h.update([0x00])
        h.update(leaf)
        return h.finalize()
    }

    /// `H(0x01 ‖ left ‖ right)`.
    public static func nodeHash(_ left: Digest, _ right: Digest) -> Digest {
        var h = Hasher256()
        h.update([0x01])
        h.update(left)
        h.update(right)
        return h.finalize()
    }

    /// The root over `leaves` in order.
    public static func root(_ leaves: [Digest]) -> Digest {
        if leaves.isEmpty { return Hash.blake2b256([]) }
        var level = leaves.map(leafHash)
        while level.count > 1 {
            var next: [Digest] = []
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i + 1 < level.count {
                next.append(nodeHash(level[i], level[i + 1]))
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            level = next
        }
        return level[0]
    }

    /// The inclusion proof for `leaves[index]`, or `nil` if `index` is out of range.
    public static func proof(_ leaves: [Digest], index: Int) -> [ProofStep]? {
        guard index >= 0, index < leaves.count else { return nil }
        var steps: [ProofStep] = []
        var level = leaves.map(leafHash)
        var position = index
        while level.count > 1 {
            let sibling = position ^ 1
            if sibling < level.count {
                steps.append(ProofStep(sibling: level[sibling], siblingIsLeft: sibling < position))
            }
            var next: [Digest] = []
            var i = 0
            while i + 1 < level.count {
                next.append(nodeHash(level[i], level[i + 1]))
                i += 2
            }
            if i < level.count { next.append(level[i]) }
            level = next
            position /= 2
        }
        return steps
    }

    /// `true` when `proof` links `leaf` to `root`.
    public static func verify(leaf: Digest, proof: [ProofStep], root: Digest) -> Bool {
        var acc = leafHash(leaf)
        for step in proof {
            acc = step.siblingIsLeft ? nodeHash(step.sibling, acc) : nodeHash(acc, step.sibling)
        }
        return acc == root
    }
}
