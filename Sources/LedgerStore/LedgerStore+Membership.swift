import LedgerCore
import LedgerCrypto

/// Who validates: the current membership and the set of any past epoch (decision 0038).
extension LedgerStore {
    /// The membership after the head block: the stored one, or `Membership(genesis:)` when no
    /// change was ever executed.
    public func membership(genesis: Genesis) throws(StoreError) -> Membership {
        try read { (db) throws(StoreError) -> Membership in
            guard let bytes = try Self.readMetaBlob(db, key: Schema.Key.membership) else { return Membership(genesis: genesis) }
            do {
                return try Membership.decode(bytes)
            } catch {
                throw .invalidStoredData(what: "membership", detail: "\(error)")
            }
        }
    }

    /// The epoch and validator set that ordered the block at `height` (≥ 1): the last epoch whose
    /// first height is at or below it, or epoch 0's genesis set.
    public func validatorSet(at height: Height, genesis: Genesis) throws(StoreError) -> (epoch: UInt64, validators: [Validator]) {
        try read { (db) throws(StoreError) -> (epoch: UInt64, validators: [Validator]) in
            let s = try db.statement("SELECT epoch, validators FROM epochs WHERE first_height <= ? ORDER BY first_height DESC LIMIT 1")
            defer { s.reset() }
            try s.bind(1, height.rawValue)
            guard try s.step() else { return (0, genesis.validators) }
            do {
                return (s.uint64(0), try Membership.decodeSet(s.blob(1)))
            } catch {
                throw .invalidStoredData(what: "validator set of epoch \(s.uint64(0))", detail: "\(error)")
            }
        }
    }

    /// The first block of `epoch` (1 for epoch 0), or `nil` if the chain has not reached that epoch.
    public func firstHeight(ofEpoch epoch: UInt64) throws(StoreError) -> Height? {
        guard epoch > 0 else { return Height(1) }
        return try read { (db) throws(StoreError) -> Height? in
            let s = try db.statement("SELECT first_height FROM epochs WHERE epoch = ?")
            defer { s.reset() }
            try s.bind(1, epoch)
            guard try s.step() else { return nil }
            return Height(s.uint64(0))
        }
    }

    /// The block that committed the change which began `epoch` (≥ 1): the block of the previous epoch whose change
    /// was accepted, or `nil` if the chain has not reached `epoch`. A light client verifies the chain of sets from
    /// it (decision 0038).
    public func changeBlock(beginning epoch: UInt64) throws(StoreError) -> Height? {
        guard epoch > 0, let first = try firstHeight(ofEpoch: epoch), let previous = try firstHeight(ofEpoch: epoch - 1) else { return nil }
        let heights = try read { (db) throws(StoreError) -> [Height] in
            let s = try db.statement("SELECT DISTINCT height FROM block_changes WHERE height >= ? AND height < ? ORDER BY height")
            defer { s.reset() }
            try s.bind(1, previous.rawValue)
            try s.bind(2, first.rawValue)
            var out: [Height] = []
            while try s.step() { out.append(Height(s.uint64(0))) }
            return out
        }
        for height in heights {
            if let block = try block(at: height), block.changeReceipts.contains(where: { $0.status == .success }) { return height }
        }
        return nil
    }

    /// The validator-set changes stored for the block at `height`, with their receipts, in order.
    static func storedChanges(_ db: SQLiteDatabase, at height: Height) throws(StoreError) -> [(raw: [UInt8], receipt: [UInt8])] {
        let s = try db.statement("SELECT raw, receipt FROM block_changes WHERE height = ? ORDER BY idx")
        defer { s.reset() }
        try s.bind(1, height.rawValue)
        var out: [(raw: [UInt8], receipt: [UInt8])] = []
        while try s.step() { out.append((s.blob(0), s.blob(1))) }
        return out
    }
}
