import LedgerCrypto

/// A change of the validator set that the current set's quorum signed: validators added,
/// removed, or given a new key (rotation). It takes effect at the epoch boundary
/// (`EpochBoundary`, decision 0038).
///
/// Wire format (integers big-endian, `docs/wire-format.md` "Validator-set change"):
///
///     version          1 byte   0x01
///     chain id len     1 byte   1...64
///     chain id         n bytes
///     epoch            8 bytes  the epoch whose set signs it; applied, it starts epoch + 1
///     operation count  1 byte   1...16
///     operations       each a kind byte then its fields:
///                        0x01 add     key 32, p2p address (len 2 + bytes), rpc address (len 2 + bytes, 0 = none)
///                        0x02 remove  key 32
///                        0x03 rotate  old key 32, new key 32
///     signature count  1 byte   0...100
///     signatures       each signer key 32 + Ed25519 signature 64, keys strictly ascending
///
/// The signers sign `signingBytes()`: the ASCII tag `ledger-valset-v1`, a zero byte, then the
/// encoding up to and without the signature count. No transaction or consensus message starts
/// with that tag. `id` is BLAKE2b-256 of the signing bytes, so copies of one change that carry
/// different signatures share it; `combining(_:)` merges them.
public struct ValidatorSetChange: Hashable, Sendable {
    /// The version byte written first.
    public static let version: UInt8 = 1
    /// The domain-separation prefix of the signed bytes: ASCII `ledger-valset-v1` then 0x00.
    public static let signingDomainTag: [UInt8] = Array("ledger-valset-v1".utf8) + [0]

    /// One step of a change.
    public enum Operation: Hashable, Sendable {
        /// A new validator with its key and where peers (and, if given, clients) reach it.
        case add(publicKey: PublicKey, p2pAddress: String, rpcAddress: String?)
        /// The validator with this key leaves the set.
        case remove(publicKey: PublicKey)
        /// The validator with key `old` signs with `new` from the next epoch on (same place in the set).
        case rotate(old: PublicKey, new: PublicKey)

        var kind: UInt8 {
            switch self {
            case .add: 1
            case .remove: 2
            case .rotate: 3
            }
        }
    }

    /// One validator's signature over `signingBytes()`.
    public struct Approval: Hashable, Sendable {
        /// The signing validator's key (in the set of `epoch`).
        public let signer: PublicKey
        /// Its signature.
        public let signature: Signature

        /// An approval as given (checked by `nextSet(after:)`).
        public init(signer: PublicKey, signature: Signature) {
            self.signer = signer
            self.signature = signature
        }
    }

    /// The network this change is for.
    public let chainID: String
    /// The epoch whose validator set authorises it.
    public let epoch: UInt64
    /// What changes, in order (adds are appended to the set in this order).
    public let operations: [Operation]
    /// The approvals, sorted by signer key, one per signer.
    public let approvals: [Approval]

    /// A change with `approvals` (sorted and deduplicated by signer; a signer's later
    /// approval replaces an earlier one). Throws when a bound or a field's syntax is broken;
    /// whether the change is allowed is `nextSet(after:)`'s question.
    public init(chainID: String, epoch: UInt64, operations: [Operation], approvals: [Approval] = [])
    throws(ValidatorSetChangeError) {
        if let reason = ChainID.problem(with: chainID) { throw .invalidChainID(reason: reason) }
        guard (1...Limits.validatorSetChangeMaxOperations).contains(operations.count) else {
            throw .operationCount(operations.count, maximum: Limits.validatorSetChangeMaxOperations)
        }
        for case let .add(key, p2p, rpc) in operations {
            if let reason = NetworkAddress.problem(with: p2p) {
                throw .invalidAddress(key: key, field: "p2p_address", value: p2p, reason: reason)
            }
            if let rpc, let reason = NetworkAddress.problem(with: rpc) {
                throw .invalidAddress(key: key, field: "rpc_address", value: rpc, reason: reason)
            }
        }
        var bySigner: [PublicKey: Approval] = [:]
        for approval in approvals { bySigner[approval.signer] = approval }
        guard bySigner.count <= Limits.validatorsMax else {
            throw .tooManyApprovals(bySigner.count, maximum: Limits.validatorsMax)
        }
        self.chainID = chainID
        self.epoch = epoch
        self.operations = operations
        self.approvals = bySigner.values.sorted { $0.signer < $1.signer }
    }

    /// The change's identity: BLAKE2b-256 of `signingBytes()` (the same for every set of approvals).
    public var id: Digest { Hash.blake2b256(signingBytes()) }

    /// BLAKE2b-256 of the full encoding, approvals included: what a batch, a receipt and the
    /// pending-request queue name the change by (two copies with different approvals differ).
    public var hash: Digest { Hash.blake2b256(encoded()) }

    /// Size of `encoded()` in bytes.
    public var encodedSize: Int {
        var size = 1 + 1 + chainID.utf8.count + 8 + 1 + 1 + approvals.count * (PublicKey.byteCount + Signature.byteCount)
        for operation in operations {
            switch operation {
            case let .add(_, p2p, rpc): size += 1 + PublicKey.byteCount + 2 + p2p.utf8.count + 2 + (rpc?.utf8.count ?? 0)
            case .remove: size += 1 + PublicKey.byteCount
            case .rotate: size += 1 + 2 * PublicKey.byteCount
            }
        }
        return size
    }

    /// The bytes each approving validator signs.
    public func signingBytes() -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.writeRaw(Self.signingDomainTag)
        writeUnsigned(into: &w)
        return w.bytes
    }

    /// This change with `key`'s approval added (replacing an earlier one by the same key).
    public func approved(by key: SigningKey) -> ValidatorSetChange {
        let approval = Approval(signer: key.publicKey, signature: key.sign(signingBytes()))
        // The fields were checked when `self` was built and one more approval stays within the
        // bound only when the signer is new or fewer than the maximum signed; recheck through init.
        return (try? ValidatorSetChange(chainID: chainID, epoch: epoch, operations: operations, approvals: approvals + [approval]))
            ?? self
    }

    /// This change with the approvals of `other` added; throws when `other` is a different change.
    public func combining(_ other: ValidatorSetChange) throws(ValidatorSetChangeError) -> ValidatorSetChange {
        guard other.id == id else { throw .differentChange(id, other.id) }
        return try ValidatorSetChange(chainID: chainID, epoch: epoch, operations: operations, approvals: approvals + other.approvals)
    }

    /// The canonical encoding (what is sent, stored and put in a block).
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        encode(into: &w)
        return w.bytes
    }

    /// Appends the canonical encoding to `w`.
    public func encode(into w: inout ByteWriter) {
        writeUnsigned(into: &w)
        w.write(UInt8(truncatingIfNeeded: approvals.count))
        for approval in approvals {
            w.write(approval.signer)
            w.write(approval.signature)
        }
    }

    private func writeUnsigned(into w: inout ByteWriter) {
        w.write(Self.version)
        w.writeShortBytes(chainID.utf8)
        w.write(epoch)
        w.write(UInt8(truncatingIfNeeded: operations.count))
        for operation in operations {
            w.write(operation.kind)
            switch operation {
            case let .add(key, p2p, rpc):
                w.write(key)
                w.writeMediumBytes(p2p.utf8)
                w.writeMediumBytes((rpc ?? "").utf8)
            case let .remove(key):
                w.write(key)
            case let .rotate(old, new):
                w.write(old)
                w.write(new)
            }
        }
    }

    /// Decodes exactly one change; trailing bytes, an unsorted or repeated signer, or a broken
    /// field are errors. Signatures are not checked here (`nextSet(after:)` does, last).
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> ValidatorSetChange {
        if bytes.count > Limits.validatorSetChangeMaxBytes {
            throw .inputTooLarge(what: "validator-set change", size: bytes.count, maximum: Limits.validatorSetChangeMaxBytes)
        }
        return try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) in
            try decode(from: &r)
        }
    }

    /// Decodes one change at the reader's position.
    public static func decode(from r: inout ByteReader) throws(DecodingError) -> ValidatorSetChange {
        try r.readVersion(version, "change")
        let chainOffset = r.offset
        let chainLength = try r.readLength(width: 1, maximum: Limits.chainIDMaxBytes, "change.chainID")
        let chainBytes = try r.readRaw(chainLength, "change.chainID")
        if let reason = ChainID.problem(withBytes: chainBytes) { throw .invalidChainID(offset: chainOffset, reason: reason) }
        let epoch = try r.readUInt64("change.epoch")
        let count = try r.readLength(width: 1, maximum: Limits.validatorSetChangeMaxOperations, "change.operations")
        guard count > 0 else { throw .inconsistent(field: "change.operations", offset: r.offset - 1, reason: "no operation") }
        var operations: [Operation] = []
        operations.reserveCapacity(count)
        for index in 0..<count {
            let field = "change.operations[\(index)]"
            let kindOffset = r.offset
            switch try r.readUInt8(field + ".kind") {
            case 1:
                let key = try r.readPublicKey(field + ".public_key")
                let p2p = try readAddress(&r, field + ".p2p_address")
                let rpc = try readAddress(&r, field + ".rpc_address")
                operations.append(.add(publicKey: key, p2pAddress: p2p, rpcAddress: rpc.isEmpty ? nil : rpc))
            case 2:
                operations.append(.remove(publicKey: try r.readPublicKey(field + ".public_key")))
            case 3:
                let old = try r.readPublicKey(field + ".from")
                operations.append(.rotate(old: old, new: try r.readPublicKey(field + ".to")))
            case let other:
                throw .invalidTag(field: field + ".kind", offset: kindOffset, found: other, allowed: [1, 2, 3])
            }
        }
        let approvalCount = try r.readLength(width: 1, maximum: Limits.validatorsMax, "change.approvals")
        var approvals: [Approval] = []
        approvals.reserveCapacity(approvalCount)
        for index in 0..<approvalCount {
            let offset = r.offset
            let signer = try r.readPublicKey("change.approvals[\(index)].signer")
            if let last = approvals.last, !(last.signer < signer) {
                throw .inconsistent(field: "change.approvals[\(index)]", offset: offset, reason: "signers must be strictly ascending")
            }
            approvals.append(Approval(signer: signer, signature: try r.readSignature("change.approvals[\(index)].signature")))
        }
        do {
            return try ValidatorSetChange(
                chainID: String(decoding: chainBytes, as: UTF8.self), epoch: epoch, operations: operations, approvals: approvals)
        } catch {
            throw .inconsistent(field: "change", offset: r.offset, reason: error.description)
        }
    }

    private static func readAddress(_ r: inout ByteReader, _ field: String) throws(DecodingError) -> String {
        let offset = r.offset
        let length = try r.readLength(width: 2, maximum: Limits.networkAddressMaxBytes, field)
        let raw = try r.readRaw(length, field)
        guard raw.allSatisfy({ $0 >= 0x21 && $0 < 0x7F }) else { throw .invalidText(field: field, offset: offset) }
        return String(decoding: raw, as: UTF8.self)
    }
}
