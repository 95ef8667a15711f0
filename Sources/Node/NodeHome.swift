import Foundation
import LedgerCore
import LedgerCrypto

/// A node's home directory loaded and cross-checked: config, key, genesis, and this validator's id.
public struct NodeHome: Sendable {
    /// The home directory.
    public let path: String
    /// `config.json`.
    public let config: NodeConfig
    /// The validator key.
    public let key: NodeKey
    /// The network's genesis.
    public let genesis: Genesis
    /// This node's validator id (its key's position in genesis).
    public let validatorID: ReplicaID

    /// The config file name inside a home.
    public static let configFileName = "config.json"

    /// Loads `home`; every problem is a `NodeError` naming the file and the fix.
    public static func load(_ home: String) throws(NodeError) -> NodeHome {
        let configPath = (home as NSString).appendingPathComponent(configFileName)
        let config = try NodeConfig.load(path: configPath)
        let keyPath = NodeFiles.resolve(config.keyFile, home: home)
        let key = try NodeKey.load(path: keyPath)
        let genesisPath = NodeFiles.resolve(config.genesisFile, home: home)
        let genesis: Genesis
        do { genesis = try Genesis.load(from: genesisPath) } catch { throw .invalidGenesis(path: genesisPath, reason: "\(error)") }
        guard let me = genesis.validator(withKey: key.signingKey.publicKey) else {
            throw .notAValidator(publicKey: key.signingKey.publicKey.hex)
        }
        return NodeHome(path: home, config: config, key: key, genesis: genesis, validatorID: me.id)
    }

    /// The database path.
    public var databasePath: String { NodeFiles.resolve(config.dbPath, home: path) }
}
