/// The sizes PBFT derives from the number of validators `n`: the faults it tolerates
/// `f = ⌊(n − 1) / 3⌋`, the quorum `2f + 1` and the weak quorum `f + 1`.
///
/// The one place the formula lives: genesis, the consensus configuration, certificate checks,
/// the adversary and the simulator all ask this type rather than recompute it.
public struct QuorumRule: Hashable, Sendable, CustomStringConvertible {
    /// The number of validators `n` (at least 1).
    public let n: Int

    /// The rule for `n` validators, or `nil` when `n < 1` (no validator set is empty).
    public init?(_ n: Int) {
        guard n >= 1 else { return nil }
        self.n = n
    }

    /// The rule for a single validator (f = 0, every quorum is that validator).
    public static let single = QuorumRule(unchecked: 1)

    private init(unchecked n: Int) { self.n = n }

    /// The most faulty validators tolerated: `f = ⌊(n − 1) / 3⌋` (cannot overflow for `n ≥ 1`).
    public var f: Int { (n - 1) / 3 }
    /// The size of a quorum, `2f + 1`. Any two quorums share an honest validator only when
    /// `isOptimal` (n = 3f + 1, which a genesis and the simulator require); for n = 5, two
    /// quorums of 3 may meet in the one faulty validator. `f ≤ (Int.max − 1) / 3`, so this
    /// cannot overflow.
    public var quorum: Int { 2 * f + 1 }
    /// The size of a weak quorum, `f + 1`: it holds at least one honest validator.
    public var weakQuorum: Int { f + 1 }
    /// `true` when `n = 3f + 1`, the smallest `n` for its `f` (a genesis requires it).
    public var isOptimal: Bool { (n - 1) % 3 == 0 }

    /// "n=4 f=1 quorum=3".
    public var description: String { "n=\(n) f=\(f) quorum=\(quorum)" }
}
