/// The sizes PBFT derives from the number of validators `n`, for any `n ≥ 1`: the faults it
/// tolerates `f = ⌊(n − 1) / 3⌋`, the quorum `q = ⌈(n + f + 1) / 2⌉` and the weak quorum `f + 1`.
///
/// Why any `n` is safe with this quorum. Two quorums of one set of `n` validators share at
/// least `2q − n` of them, and `2q ≥ n + f + 1` (the ceiling), so they share at least `f + 1`:
/// at least one validator in common is honest, and an honest validator never votes for two
/// different values in one slot — no two conflicting certificates. And the `n − f` honest
/// validators alone form a quorum: `n − f ≥ q` holds exactly when `n − f ≥ (n + f + 1) / 2`,
/// that is `n ≥ 3f + 1`, which `f = ⌊(n − 1) / 3⌋` guarantees. Both inequalities hold for every
/// `n ≥ 1` (`QuorumRuleTests` checks them for n = 1…100). At `n = 3f + 1` the quorum is the
/// classic `2f + 1`; between two such sizes (n = 5, 6; 8, 9; …) the set tolerates the same `f`
/// as the size below it and needs a larger quorum: `2f + 1` there could meet in a faulty
/// validator alone.
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
    /// The size of a quorum, `⌈(n + f + 1) / 2⌉` (`2f + 1` when `n = 3f + 1`), computed as
    /// `n − ⌊(n − f − 1) / 2⌋`: `0 ≤ n − f − 1 < n`, so nothing overflows, even for `Int.max`.
    public var quorum: Int { n - (n - f - 1) / 2 }
    /// The size of a weak quorum, `f + 1`: it holds at least one honest validator.
    public var weakQuorum: Int { f + 1 }
    /// The fewest validators two quorums share, `2q − n` (at least `f + 1`): safety holds while
    /// fewer than this many are faulty, and this many colluders can fork the honest ones (the
    /// collusion self-test). Computed as `q − (n − q)`, which cannot overflow.
    public var quorumIntersection: Int { quorum - (n - quorum) }

    /// "n=4 f=1 quorum=3".
    public var description: String { "n=\(n) f=\(f) quorum=\(quorum)" }
}
