import LedgerCrypto

/// The stored form of a membership (the store keeps the current one and every epoch's set).
///
/// Encoding: version (1, 0x01) ‖ epoch (8) ‖ first height (8) ‖ set ‖ pending flag (1) ‖ [change id (32) ‖
/// committed at (8) ‖ last sequence (8) ‖ next set], where a set is count (1, 1...100) and per validator
/// public key (32) ‖ p2p address (len 2 ‖ bytes) ‖ rpc address (len 2 ‖ bytes, 0 = none).
extension Membership {
    /// The version byte of the encoding.
    public static let encodingVersion: UInt8 = 1

    /// The canonical encoding.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64 + validators.count * 80)
        w.write(Self.encodingVersion)
        w.write(epoch)
        w.write(firstHeight.rawValue)
        Self.write(validators, into: &w)
        if let pending {
            w.write(UInt8(1))
            w.write(pending.changeID)
            w.write(pending.committedAt.rawValue)
            w.write(pending.lastSequence.rawValue)
            Self.write(pending.validators, into: &w)
        } else {
            w.write(UInt8(0))
        }
        return w.bytes
    }

    /// A validator set's encoding (count, then each validator), ids implied by order.
    public static func encodedSet(_ validators: [Validator]) -> [UInt8] {
        var w = ByteWriter(capacity: validators.count * 80)
        write(validators, into: &w)
        return w.bytes
    }

    static func write(_ validators: [Validator], into w: inout ByteWriter) {
        w.write(UInt8(truncatingIfNeeded: validators.count))
        for validator in validators {
            w.write(validator.publicKey)
            w.writeMediumBytes(validator.p2pAddress.utf8)
            w.writeMediumBytes((validator.rpcAddress ?? "").utf8)
        }
    }

    /// Decodes a stored membership; any inconsistency is an error, never a trap.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Membership {
        try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) in
            try r.readVersion(encodingVersion, "membership")
            let epoch = try r.readUInt64("membership.epoch")
            let first = Height(try r.readUInt64("membership.firstHeight"))
            let validators = try readSet(&r, "membership.validators")
            let flagOffset = r.offset
            switch try r.readUInt8("membership.pending") {
            case 0:
                return Membership(epoch: epoch, validators: validators, firstHeight: first, pending: nil)
            case 1:
                let id = try r.readDigest("membership.pending.changeID")
                let committed = Height(try r.readUInt64("membership.pending.committedAt"))
                let last = Height(try r.readUInt64("membership.pending.lastSequence"))
                let next = try readSet(&r, "membership.pending.validators")
                let pending = PendingChange(changeID: id, committedAt: committed, lastSequence: last, validators: next)
                return Membership(epoch: epoch, validators: validators, firstHeight: first, pending: pending)
            case let other:
                throw .invalidTag(field: "membership.pending", offset: flagOffset, found: other, allowed: [0, 1])
            }
        }
    }

    /// Decodes a set written by `encodedSet`.
    public static func decodeSet(_ bytes: [UInt8]) throws(DecodingError) -> [Validator] {
        try ByteReader.decode(bytes) { (r: inout ByteReader) throws(DecodingError) in try readSet(&r, "validators") }
    }

    private static func readSet(_ r: inout ByteReader, _ field: String) throws(DecodingError) -> [Validator] {
        let countOffset = r.offset
        let count = try r.readLength(width: 1, maximum: Limits.validatorsMax, field)
        guard count >= 1 else { throw .inconsistent(field: field, offset: countOffset, reason: "a validator set is never empty") }
        var validators: [Validator] = []
        validators.reserveCapacity(count)
        for i in 0..<count {
            let key = try r.readPublicKey("\(field)[\(i)].publicKey")
            let p2p = try readText(&r, "\(field)[\(i)].p2pAddress")
            let rpc = try readText(&r, "\(field)[\(i)].rpcAddress")
            validators.append(Validator(id: ReplicaID(i), publicKey: key, p2pAddress: p2p, rpcAddress: rpc.isEmpty ? nil : rpc))
        }
        return validators
    }

    private static func readText(_ r: inout ByteReader, _ field: String) throws(DecodingError) -> String {
        let length = try r.readLength(width: 2, maximum: Limits.networkAddressMaxBytes, field)
        return String(decoding: try r.readRaw(length, field), as: UTF8.self)
    }
}
