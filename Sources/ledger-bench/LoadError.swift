import Wallet

/// Why `ledger-bench load` could not run or finish; each message says what to do.
enum LoadError: Error, CustomStringConvertible {
    /// The nodes file is missing or not the expected JSON array.
    case nodesFile(path: String, reason: String)
    /// A node did not answer at its RPC URL.
    case unreachable(url: String, reason: String)
    /// A node answered, but not as expected.
    case badAnswer(url: String, method: String, reason: String)
    /// A bench account the run needs has no funds on this chain.
    case unfunded(index: Int, address: String, seed: UInt64)
    /// The WebSocket block subscription could not be set up.
    case subscription(url: String, reason: String)
    /// An option combination that cannot work.
    case invalidOptions(String)
    /// The recovery scenario could not kill the primary.
    case recovery(String)

    var description: String {
        switch self {
        case let .nodesFile(path, reason):
            "cannot read the nodes file \(path): \(reason) (scripts/testnet up and scripts/bench write it)"
        case let .unreachable(url, reason):
            "node unreachable at \(url): \(reason); is the testnet running (scripts/testnet status)?"
        case let .badAnswer(url, method, reason):
            "unexpected answer to \(method) from \(url): \(reason)"
        case let .unfunded(index, address, seed):
            "bench account \(index) (\(address)) has no funds; generate the testnet with "
                + "ledger-node testnet --bench-accounts N --bench-seed \(seed) (N > \(index)), or lower --accounts"
        case let .subscription(url, reason):
            "cannot subscribe to blocks at \(url): \(reason)"
        case let .invalidOptions(reason):
            reason
        case let .recovery(reason):
            "recovery scenario: \(reason)"
        }
    }
}

extension LoadError {
    /// The load error for a failed JSON-RPC call to `url`: a refused or timed-out connection is "unreachable",
    /// anything else an unexpected answer.
    static func rpc(_ error: any Error, url: String, method: String) -> LoadError {
        guard let e = error as? RPCClientError else { return .badAnswer(url: url, method: method, reason: "\(error)") }
        switch e {
        case let .unreachable(_, reason), let .connectionClosed(_, reason): return .unreachable(url: url, reason: reason)
        case let .timedOut(_, _, ms): return .unreachable(url: url, reason: "no answer to \(method) within \(ms) ms")
        default: return .badAnswer(url: url, method: method, reason: "\(e)")
        }
    }
}
