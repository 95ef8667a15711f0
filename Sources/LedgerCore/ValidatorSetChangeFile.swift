#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LedgerCrypto

/// The JSON file operators pass around while collecting approvals (`ledger-node validators change`):
///
///     {
///       "chain_id": "ledger-main",
///       "epoch": 0,
///       "id": "<64 hex, written for people to compare; checked when present>",
///       "operations": [
///         {"op": "add", "public_key": "<hex>", "p2p_address": "host:port", "rpc_address": "host:port"},
///         {"op": "remove", "public_key": "<hex>"},
///         {"op": "rotate", "public_key": "<old hex>", "new_public_key": "<new hex>"}
///       ],
///       "approvals": [{"signer": "<hex>", "signature": "<128 hex>"}]
///     }
///
/// Reading is strict (unknown keys refused, every key and signature parsed) and checks the
/// bounds of `ValidatorSetChange.init`; whether the change is allowed is `nextSet(after:)`'s question.
extension ValidatorSetChange {
    /// Reads the change file at `path`.
    public static func load(from path: String) throws(ValidatorSetChangeError) -> ValidatorSetChange {
        let bytes: [UInt8]
        do {
            bytes = try Genesis.readFile(path)
        } catch {
            throw .invalidFile(path: path, reason: "\(error)")
        }
        do {
            return try load(json: bytes)
        } catch {
            throw .invalidFile(path: path, reason: error.description)
        }
    }

    /// Parses a change from its JSON form.
    public static func load(json: [UInt8]) throws(ValidatorSetChangeError) -> ValidatorSetChange {
        let file: ChangeFile
        do {
            file = try JSONDecoder().decode(ChangeFile.self, from: Data(json))
        } catch let error as UnknownKey {
            throw .invalidJSON(reason: "unknown field '\(error.key)' in \(error.path.isEmpty ? "the change" : error.path) (typo?)")
        } catch let error as Swift.DecodingError {
            throw .invalidJSON(reason: Genesis.describe(error))
        } catch {
            throw .invalidJSON(reason: "\(error)")
        }
        func key(_ hex: String, _ field: String) throws(ValidatorSetChangeError) -> PublicKey {
            do { return try PublicKey(hex: hex) } catch { throw .invalidJSON(reason: "\(field) is not a valid public key: \(error)") }
        }
        var operations: [Operation] = []
        for (index, entry) in file.operations.enumerated() {
            let field = "operations[\(index)]"
            let primary = try key(entry.publicKey, field + ".public_key")
            switch entry.op {
            case "add":
                guard let p2p = entry.p2pAddress, entry.newPublicKey == nil else {
                    throw .invalidJSON(reason: "\(field): an add names public_key and p2p_address (rpc_address optional)")
                }
                operations.append(.add(publicKey: primary, p2pAddress: p2p, rpcAddress: entry.rpcAddress))
            case "remove":
                guard entry.p2pAddress == nil, entry.rpcAddress == nil, entry.newPublicKey == nil else {
                    throw .invalidJSON(reason: "\(field): a remove names only public_key")
                }
                operations.append(.remove(publicKey: primary))
            case "rotate":
                guard let newHex = entry.newPublicKey, entry.p2pAddress == nil, entry.rpcAddress == nil else {
                    throw .invalidJSON(reason: "\(field): a rotate names public_key and new_public_key")
                }
                operations.append(.rotate(old: primary, new: try key(newHex, field + ".new_public_key")))
            default:
                throw .invalidJSON(reason: "\(field).op '\(entry.op)' is not add, remove or rotate")
            }
        }
        var approvals: [Approval] = []
        for (index, entry) in file.approvals.enumerated() {
            let signer = try key(entry.signer, "approvals[\(index)].signer")
            do {
                approvals.append(Approval(signer: signer, signature: try Signature(hex: entry.signature)))
            } catch {
                throw .invalidJSON(reason: "approvals[\(index)].signature is not a signature: \(error)")
            }
        }
        guard file.epoch >= 0 else { throw .invalidJSON(reason: "epoch must not be negative") }
        let change = try ValidatorSetChange(chainID: file.chainID, epoch: UInt64(file.epoch), operations: operations, approvals: approvals)
        if let id = file.id, id != change.id.hex {
            throw .invalidJSON(reason: "id \(id) does not match the change's content (\(change.id.hex)): the file was edited after it was made")
        }
        return change
    }

    /// The JSON form, which `load(json:)` reads back.
    public func jsonBytes() -> [UInt8] {
        let file = ChangeFile(
            chainID: chainID, epoch: Int64(clamping: epoch), id: id.hex,
            operations: operations.map { operation in
                switch operation {
                case let .add(key, p2p, rpc): ChangeFile.Entry(op: "add", publicKey: key.hex, p2pAddress: p2p, rpcAddress: rpc)
                case let .remove(key): ChangeFile.Entry(op: "remove", publicKey: key.hex)
                case let .rotate(old, new): ChangeFile.Entry(op: "rotate", publicKey: old.hex, newPublicKey: new.hex)
                }
            },
            approvals: approvals.map { ChangeFile.Approval(signer: $0.signer.hex, signature: $0.signature.hex) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and integers cannot fail.
        let data = try! encoder.encode(file)
        return [UInt8](data) + [UInt8(ascii: "\n")]
    }
}

private struct ChangeFile: Codable {
    var chainID: String
    var epoch: Int64
    var id: String?
    var operations: [Entry]
    var approvals: [Approval]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case chainID = "chain_id", epoch, id, operations, approvals
    }

    struct Entry: Codable {
        var op: String
        var publicKey: String
        var p2pAddress: String? = nil
        var rpcAddress: String? = nil
        var newPublicKey: String? = nil

        enum CodingKeys: String, CodingKey, CaseIterable {
            case op, publicKey = "public_key", p2pAddress = "p2p_address", rpcAddress = "rpc_address", newPublicKey = "new_public_key"
        }

        init(op: String, publicKey: String, p2pAddress: String? = nil, rpcAddress: String? = nil, newPublicKey: String? = nil) {
            self.op = op; self.publicKey = publicKey; self.p2pAddress = p2pAddress; self.rpcAddress = rpcAddress
            self.newPublicKey = newPublicKey
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                op: try c.decode(String.self, forKey: .op), publicKey: try c.decode(String.self, forKey: .publicKey),
                p2pAddress: try c.decodeIfPresent(String.self, forKey: .p2pAddress),
                rpcAddress: try c.decodeIfPresent(String.self, forKey: .rpcAddress),
                newPublicKey: try c.decodeIfPresent(String.self, forKey: .newPublicKey))
        }
    }

    struct Approval: Codable {
        var signer: String
        var signature: String

        enum CodingKeys: String, CodingKey, CaseIterable { case signer, signature }

        init(signer: String, signature: String) { self.signer = signer; self.signature = signature }

        init(from decoder: any Decoder) throws {
            try rejectUnknownKeys(decoder, CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(signer: try c.decode(String.self, forKey: .signer), signature: try c.decode(String.self, forKey: .signature))
        }
    }

    init(chainID: String, epoch: Int64, id: String?, operations: [Entry], approvals: [Approval]) {
        self.chainID = chainID; self.epoch = epoch; self.id = id; self.operations = operations; self.approvals = approvals
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            chainID: try c.decode(String.self, forKey: .chainID), epoch: try c.decode(Int64.self, forKey: .epoch),
            id: try c.decodeIfPresent(String.self, forKey: .id), operations: try c.decode([Entry].self, forKey: .operations),
            approvals: try c.decodeIfPresent([Approval].self, forKey: .approvals) ?? [])
    }
}
