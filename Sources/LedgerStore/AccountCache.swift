import LedgerCore
import LedgerCrypto

/// Committed accounts kept in memory, valid at one height, so that executing a block and admitting
/// transactions do not read every sender and recipient from SQLite again. A `perf` profile of a
/// backup at peak load had 4 % of the node in those reads.
///
/// Filled by reads (at the height they read) and kept current by each applied block's changed
/// accounts. Anything else (a state-transfer range, a block applied on another height) empties
/// it. Bounded: once `capacity` accounts are held it starts again from empty.
struct AccountCache: Sendable {
    /// The height the held accounts are the committed state of; `nil` before the first read or apply.
    private(set) var height: UInt64?
    private(set) var accounts: [PublicKey: Account] = [:]
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    func account(_ key: PublicKey, at height: UInt64) -> Account? {
        self.height == height ? accounts[key] : nil
    }

    /// Every account among `keys` at the cache's height, or `nil` when one of them is not held (or
    /// nothing was read or applied yet). Only the store that holds the file's lock may answer from
    /// this without reading the head from SQLite.
    func allCached(_ keys: some Collection<PublicKey>) -> [PublicKey: Account]? {
        guard height != nil else { return nil }
        var found: [PublicKey: Account] = [:]
        for key in keys where found[key] == nil {
            guard let account = accounts[key] else { return nil }
            found[key] = account
        }
        return found
    }

    /// Keeps accounts read from the committed state at `height`.
    mutating func remember(_ read: [Account], at height: UInt64) {
        if self.height != height {
            accounts.removeAll(keepingCapacity: true)
            self.height = height
        }
        for account in read {
            if accounts.count >= capacity { accounts.removeAll(keepingCapacity: true) }
            accounts[account.publicKey] = account
        }
    }

    /// After the block at `height` was committed with `changed` accounts.
    mutating func applied(_ changed: [Account], at height: UInt64) {
        if self.height.map({ $0 &+ 1 == height }) ?? false {
            self.height = height
            for account in changed {
                if accounts.count >= capacity { accounts.removeAll(keepingCapacity: true) }
                accounts[account.publicKey] = account
            }
        } else {
            reset(at: height)
        }
    }

    /// Forgets everything; the (empty) cache is valid at `height`.
    mutating func reset(at height: UInt64) {
        accounts.removeAll(keepingCapacity: false)
        self.height = height
    }
}
