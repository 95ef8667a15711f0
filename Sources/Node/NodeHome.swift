import Foundation
import LedgerCore
import P2P
import PBFT
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
    /// Whether this node votes or follows the chain.
    public let role: NodeRole
    /// A validator's id (its key's position in genesis); on a full node the id derived from its key,
    /// far above every validator index (`PeerID(fullNodeKey:)`).
    public let localID: ReplicaID
    /// The role was not set in config.json and the key is not a validator's: the node runs as a full node.
    public let isFullNodeByDefault: Bool
    /// The key a validator-set change rotates this validator to (`node_key.next.json` beside the key file), if the
    /// operator placed one: the node signs with it from the epoch whose set holds it (decision 0038).
    public var nextKey: NodeKey? = nil

    /// The file name of the next key, in the directory of the key file.
    public static let nextKeyFileName = "node_key.next.json"

    /// Where the next key of the node whose key file is `keyFile` is placed.
    public static func nextKeyPath(keyFile: String) -> String {
        ((keyFile as NSString).deletingLastPathComponent as NSString).appendingPathComponent(nextKeyFileName)
    }

    /// Where this node's next key is placed (it may be placed while the node runs: read at the boundary).
    public var nextKeyPath: String { Self.nextKeyPath(keyFile: NodeFiles.resolve(config.keyFile, home: path)) }

    /// This home with `config` in place of the loaded one (command-line overrides); the caller validates it.
    public func replacing(config: NodeConfig) -> NodeHome {
        NodeHome(path: path, config: config, key: key, genesis: genesis, role: role, localID: localID,
                 isFullNodeByDefault: isFullNodeByDefault, nextKey: nextKey)
    }

    /// The config file name inside a home.
    public static let configFileName = "config.json"

    /// Loads `home`; every problem is a `NodeError` naming the file and the fix.
    public static func load(_ home: String) throws(NodeError) -> NodeHome {
        let configPath = (home as NSString).appendingPathComponent(configFileName)
        let config = try NodeConfig.load(path: configPath)
        let keyPath = NodeFiles.resolve(config.keyFile, home: home)
        let key = try NodeKey.load(path: keyPath)
        let nextKeyPath = nextKeyPath(keyFile: keyPath)
        let nextKey = FileManager.default.fileExists(atPath: nextKeyPath) ? try NodeKey.load(path: nextKeyPath) : nil
        let genesisPath = NodeFiles.resolve(config.genesisFile, home: home)
        let genesis: Genesis
        do { genesis = try Genesis.load(from: genesisPath) } catch { throw .invalidGenesis(path: genesisPath, reason: "\(error)") }
        if let problem = frameProblem(validators: genesis.validators.count, window: genesis.consensus.window) {
            throw .invalidGenesis(path: genesisPath, reason: problem)
        }
        let publicKey = key.signingKey.publicKey
        let me = genesis.validator(withKey: publicKey)
        switch (config.role.flatMap(NodeRole.init(rawValue:)), me) {
        case let (.validator?, me?), let (nil, me?):
            return NodeHome(path: home, config: config, key: key, genesis: genesis, role: .validator, localID: me.id,
                            isFullNodeByDefault: false, nextKey: nextKey)
        case (.validator?, nil):
            throw .notAValidator(publicKey: publicKey.hex)
        case let (.full?, validator?):
            throw .invalidConfig(path: configPath, reason: "role is \"full\" but node_key.json holds validator \(validator.id)'s key; "
                + "a validator key must not run a second node (give the full node its own key with ledger-node init --full-node)")
        case (.full?, nil), (nil, nil):
            return NodeHome(path: home, config: config, key: key, genesis: genesis, role: .full,
                            localID: ReplicaID(PeerID(fullNodeKey: publicKey).index), isFullNodeByDefault: config.role == nil,
                            nextKey: nextKey)
        }
    }

    /// Why a chain of `validators` with watermark window `window` could not change views over this
    /// transport (its largest NEW-VIEW would not fit in a P2P frame), or `nil` when it can.
    public static func frameProblem(validators: Int, window: UInt64) -> String? {
        let frame = P2PLimits.standard.maxPayloadBytes - Envelope.headerBytes
        let worst = PBFTLimits.largestNewViewBytes(replicaCount: validators, window: window)
        guard worst > frame else { return nil }
        let fits = PBFTLimits.largestWindow(replicaCount: validators, fittingIn: frame)
        return "with \(validators) validators and consensus.window \(window), a NEW-VIEW can reach \(worst) bytes, "
            + "over the \(frame)-byte P2P frame limit, so a view change could not be sent; use a window of at most \(fits) "
            + "(a multiple of checkpoint_interval)"
    }

    /// The database path.
    public var databasePath: String { NodeFiles.resolve(config.dbPath, home: path) }
}
