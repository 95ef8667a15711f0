import LedgerCore
import LedgerCrypto
import PBFT

/// One replica's executed chain in the simulation (its "database"): the blocks, the batches
/// and commit certificates that produced them, and the account state. It survives crashes.
public struct SimulatedLedger: Sendable {
    /// Headers by height; `headers[0]` is the genesis header.
    public private(set) var headers: [BlockHeader]
    /// The batch executed at height `i + 1`.
    public private(set) var batches: [Batch] = []
    /// The certificate of the batch at height `i + 1`.
    public private(set) var certificates: [CommitCertificate] = []
    /// The proposer of the batch at height `i + 1`.
    public private(set) var proposers: [ReplicaID] = []
    /// Accounts after the last block.
    public private(set) var accounts: AccountState
    /// The membership after the last block.
    public private(set) var membership: Membership
    /// The rules validator-set changes execute under.
    public let rules: ChangeRules

    /// A ledger at genesis with `accounts` and `membership`.
    public init(genesis: BlockHeader, accounts: AccountState, membership: Membership, rules: ChangeRules) {
        headers = [genesis]
        self.accounts = accounts
        self.membership = membership
        self.rules = rules
    }

    /// The last executed height.
    public var height: Height { Height(UInt64(headers.count - 1)) }

    /// The last header.
    public var lastHeader: BlockHeader { headers[headers.count - 1] }

    /// The hash PBFT knows the last block by (`Digest.zero` at genesis, as the core expects).
    public var lastBlockHashForConsensus: Digest { headers.count == 1 ? .zero : lastHeader.hash }

    /// The timestamp PBFT knows the last block by (0 at genesis).
    public var lastTimestampForConsensus: UInt64 { headers.count == 1 ? 0 : lastHeader.timestamp }

    /// Executes `batch` as the next block and returns it.
    public mutating func execute(_ batch: Batch, proposer: ReplicaID, certificate: CommitCertificate) -> BlockExecution {
        let execution = StateTransition.execute(
            batch: batch, previous: lastHeader, proposer: proposer, accounts: accounts, membership: membership, rules: rules)
        accounts.apply(execution)
        membership = execution.membership
        headers.append(execution.block.header)
        batches.append(batch)
        certificates.append(certificate)
        proposers.append(proposer)
        return execution
    }

    /// The header at `height`, if executed.
    public func header(at height: Height) -> BlockHeader? {
        height.rawValue < UInt64(headers.count) ? headers[Int(height.rawValue)] : nil
    }

    /// The batch, certificate and proposer at `height` (≥ 1), if executed.
    public func committed(at height: Height) -> (batch: Batch, certificate: CommitCertificate, proposer: ReplicaID)? {
        guard height.rawValue >= 1, height.rawValue < UInt64(headers.count) else { return nil }
        let i = Int(height.rawValue - 1)
        return (batches[i], certificates[i], proposers[i])
    }
}
