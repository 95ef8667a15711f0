import Adversary

/// A strategy as chosen on the command line: one named strategy or honest (`none`).
public struct ByzantineStrategyChoice: Hashable, Sendable {
    /// The strategy, or `nil` for an honest run.
    public var strategy: ByzantineStrategy?

    /// Wraps a strategy (`nil` = none).
    public init(_ strategy: ByzantineStrategy?) { self.strategy = strategy }

    /// Parses `none`, `all` (every strategy and none) or one strategy name; `nil` if unknown.
    public static func parse(_ text: String) -> [ByzantineStrategyChoice]? {
        switch text {
        case "none": return [ByzantineStrategyChoice(nil)]
        case "all": return [ByzantineStrategyChoice(nil)] + ByzantineStrategy.allCases.map { ByzantineStrategyChoice($0) }
        default:
            guard let s = ByzantineStrategy(rawValue: text) else { return nil }
            return [ByzantineStrategyChoice(s)]
        }
    }
}
