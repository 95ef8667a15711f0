import Foundation
import LedgerCrypto

/// The validator's Ed25519 key file (`node_key.json`, mode 0600): the seed and, for humans, the public key.
public struct NodeKey: Sendable {
    /// The signing key.
    public let signingKey: SigningKey

    /// Wraps a key.
    public init(signingKey: SigningKey) { self.signingKey = signingKey }

    /// A fresh random key.
    public static func generate() -> NodeKey { NodeKey(signingKey: .generate()) }

    private struct File: Codable {
        var publicKey: String
        var seed: String
        enum CodingKeys: String, CodingKey { case publicKey = "public_key", seed }
    }

    /// Reads a key file; checks that the stored public key matches the seed.
    public static func load(path: String) throws(NodeError) -> NodeKey {
        let data = try NodeFiles.read(path)
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw .invalidKey(path: path, reason: NodeFiles.describe(error))
        }
        guard let seed = Hex.decode(file.seed), seed.count == SigningKey.seedByteCount else {
            throw .invalidKey(path: path, reason: "seed must be \(SigningKey.seedByteCount * 2) hex characters")
        }
        let key: SigningKey
        do { key = try SigningKey(seed: seed) } catch { throw .invalidKey(path: path, reason: "\(error)") }
        guard key.publicKey.hex == file.publicKey.lowercased() else {
            throw .invalidKey(path: path, reason: "public_key does not match the seed")
        }
        return NodeKey(signingKey: key)
    }

    /// Writes the key file with mode 0600.
    public func write(path: String) throws(NodeError) {
        let file = File(publicKey: signingKey.publicKey.hex, seed: Hex.encode(signingKey.seed))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try NodeFiles.write(try encoder.encode(file), to: path, mode: 0o600) } catch let e as NodeError { throw e } catch {
            throw .file(path: path, reason: "\(error)")
        }
    }
}
