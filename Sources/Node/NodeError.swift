import LedgerCrypto
import LedgerStore

/// Why the node cannot start or refused something; messages say what to do.
public enum NodeError: Error, Sendable, CustomStringConvertible {
    /// A file in the node home could not be read or written.
    case file(path: String, reason: String)
    /// `config.json` is malformed or has a bad value.
    case invalidConfig(path: String, reason: String)
    /// The key file is malformed.
    case invalidKey(path: String, reason: String)
    /// `genesis.json` was refused.
    case invalidGenesis(path: String, reason: String)
    /// This node's key is not one of the genesis validators.
    case notAValidator(publicKey: String)
    /// A command-line argument is unusable.
    case invalidArgument(String)
    /// The ledger database could not be opened, read or written while `doing` something.
    case store(StoreError, doing: String)
    /// The network could not start (e.g. the port is taken).
    case network(String)

    public var description: String {
        switch self {
        case let .file(path, reason): "cannot access \(path): \(reason)"
        case let .invalidConfig(path, reason): "invalid config \(path): \(reason)"
        case let .invalidKey(path, reason): "invalid key file \(path): \(reason); regenerate it with `ledger-node init`"
        case let .invalidGenesis(path, reason): "invalid genesis \(path): \(reason)"
        case let .notAValidator(key):
            "config.json says role \"validator\" but this node's public key \(key) is not in the genesis validator set; "
                + "add it to genesis.json, use the right home, or set role \"full\" to run a full node"
        case let .invalidArgument(s): s
        case let .store(error, doing): "ledger database, \(doing): \(error)"
        case let .network(s): "p2p network: \(s)"
        }
    }
}
