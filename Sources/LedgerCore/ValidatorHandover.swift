#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LedgerCrypto

/// What an operator hands the genesis coordinator after `ledger-node init` (the home's `validator.json`):
/// the validator's public key and where peers (and optionally clients) reach it. It holds no secret.
///
/// JSON: `{"public_key": "<64 hex>", "p2p_address": "host:port", "rpc_address": "host:port"}` (`rpc_address`
/// optional). Reading checks only the shape (unknown keys refused, like a genesis file); the values are checked
/// by `GenesisDraft.addValidator`, the one place that checks validators.
public struct ValidatorHandover: Hashable, Sendable {
    /// The validator's Ed25519 public key, hex as written.
    public var publicKeyHex: String
    /// Where peers connect to it, `host:port`.
    public var p2pAddress: String
    /// Where clients reach its JSON-RPC server, `host:port`, if published.
    public var rpcAddress: String?

    /// The hand-over file name inside a node home.
    public static let fileName = "validator.json"

    /// A hand-over with the given values.
    public init(publicKeyHex: String, p2pAddress: String, rpcAddress: String? = nil) {
        self.publicKeyHex = publicKeyHex
        self.p2pAddress = p2pAddress
        self.rpcAddress = rpcAddress
    }

    /// Reads the hand-over file at `path`.
    public static func load(from path: String) throws(GenesisError) -> ValidatorHandover {
        let bytes: [UInt8]
        do {
            bytes = try Genesis.readFile(path)
        } catch {
            throw .invalidHandover(path: path, reason: error.readFailure)
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: Data(bytes))
        } catch let error as UnknownKey {
            throw .invalidHandover(path: path, reason: "unknown field '\(error.key)' (typo?)")
        } catch let error as Swift.DecodingError {
            throw .invalidHandover(path: path, reason: Genesis.describe(error))
        } catch {
            throw .invalidHandover(path: path, reason: "\(error)")
        }
        return ValidatorHandover(publicKeyHex: file.publicKey, p2pAddress: file.p2pAddress, rpcAddress: file.rpcAddress)
    }

    /// The JSON form, which `load(from:)` reads back.
    public func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings cannot fail.
        let data = try! encoder.encode(File(publicKey: publicKeyHex, p2pAddress: p2pAddress, rpcAddress: rpcAddress))
        return [UInt8](data) + [UInt8(ascii: "\n")]
    }

    fileprivate struct File: Codable {
        var publicKey: String
        var p2pAddress: String
        var rpcAddress: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case publicKey = "public_key", p2pAddress = "p2p_address", rpcAddress = "rpc_address"
        }
    }
}

extension ValidatorHandover.File {
    /// Decodes strictly: a key the format does not define is refused (in an extension, so the memberwise init stays).
    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            publicKey: try c.decode(String.self, forKey: .publicKey),
            p2pAddress: try c.decode(String.self, forKey: .p2pAddress),
            rpcAddress: try c.decodeIfPresent(String.self, forKey: .rpcAddress))
    }
}

extension GenesisError {
    /// Why a file could not be read, without the "genesis file" wording (for other files read the same way).
    fileprivate var readFailure: String {
        switch self {
        case let .unreadableFile(_, reason): return reason
        case let .fileTooLarge(size, maximum): return "it is \(size) bytes; at most \(maximum) are accepted"
        default: return description
        }
    }
}
