import LedgerCrypto

/// All accounts in memory: the reference state for tests and the simulator.
public struct AccountState: AccountLookup, Hashable, Sendable {
    /// Every account by key.
    public private(set) var accounts: [PublicKey: Account]

    /// A state holding `accounts` (a later duplicate key replaces an earlier one).
    public init(accounts: [Account] = []) {
        var map: [PublicKey: Account] = [:]
        map.reserveCapacity(accounts.count)
        for account in accounts { map[account.publicKey] = account }
        self.accounts = map
    }

    /// A state holding `accounts`, already keyed (each value's `publicKey` must be its key).
    public init(keyed accounts: [PublicKey: Account]) {
        self.accounts = accounts
    }

    /// The account with `key`, if any.
    public func account(_ key: PublicKey) -> Account? { accounts[key] }

    /// Stores the accounts an execution changed.
    public mutating func apply(_ execution: BlockExecution) {
        for account in execution.changedAccounts { accounts[account.publicKey] = account }
    }

    /// Every account sorted by key.
    public var sortedAccounts: [Account] { accounts.values.sorted { $0.publicKey < $1.publicKey } }

    /// The sum of all balances (money is conserved by every block), or `nil` if it exceeds `UInt64.max`.
    public var totalBalance: UInt64? {
        var total: UInt64 = 0
        for account in accounts.values {
            let (sum, overflow) = total.addingReportingOverflow(account.balance)
            if overflow { return nil }
            total = sum
        }
        return total
    }
}
