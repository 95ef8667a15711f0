import LedgerCore
import LedgerCrypto

/// Everything that can go wrong opening, reading or writing the ledger database.
///
/// A bad file is always reported, never repaired or reset: the operator decides what to do
/// with it (restore a backup, or move it away and resynchronise from peers).
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or created (missing directory, permissions, …).
    case cannotOpen(path: String, reason: String)
    /// The file is not a SQLite database, or its pages are damaged or missing (truncated).
    case corrupt(path: String, detail: String)
    /// The file is a SQLite database but not one written by this ledger (unknown tables, no meta row).
    case notALedgerDatabase(path: String, detail: String)
    /// The database holds another chain than the genesis this node was started with.
    case foreignChain(path: String, storedChainID: String, storedGenesisHash: Digest, expectedChainID: String,
        expectedGenesisHash: Digest)
    /// The database was written by a newer binary with a schema this one does not know.
    case schemaTooNew(path: String, found: Int64, supported: Int64)
    /// A block at a height that is already stored, with a different hash.
    case conflictingBlock(height: Height, existing: Digest, new: Digest)
    /// A block that is not exactly one above the stored head.
    case heightGap(head: Height, got: Height)
    /// A block whose `previousHash` is not the hash of the stored head.
    case doesNotExtendHead(height: Height, expectedPrevious: Digest, found: Digest)
    /// A block handed to `apply` whose parts disagree (counts of header, transactions and receipts).
    case invalidBlock(height: Height, reason: String)
    /// A stored row could not be decoded (damaged contents, or written by an incompatible binary).
    case invalidStoredData(what: String, detail: String)
    /// A read asked for more rows than `StoreLimits` allows in one call.
    case rangeTooLarge(requested: Int, maximum: Int)
    /// The disk (or the file system quota) is full; nothing from the failed write was kept.
    case diskFull(path: String)
    /// Another process holds the database lock for longer than the busy timeout.
    case busy(path: String)
    /// Another store holds the database's lock file: a second node (or tool) has it open for writing.
    /// `holder` is the process id the holder wrote into the lock file, when it could be read.
    case inUse(path: String, holder: Int32?)
    /// The store was closed before this call.
    case closed
    /// Any other SQLite failure, with its extended result code and message.
    case sqlite(code: Int32, message: String, context: String)

    /// What went wrong and what to do about it, for logs and operators.
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open database at \(path): \(reason); check that the directory exists and is writable"
        case let .corrupt(path, detail):
            return "database file at \(path) is corrupt: \(detail); restore it from a backup or move it away "
                + "and let the node resynchronise from its peers (it is never reset automatically)"
        case let .notALedgerDatabase(path, detail):
            return "file at \(path) is a SQLite database but not a ledger database (\(detail)); "
                + "point the node at its own data directory"
        case let .foreignChain(path, storedChain, storedHash, expectedChain, expectedHash):
            return "database at \(path) belongs to chain \(storedChain) (genesis hash \(storedHash.hex)), "
                + "not \(expectedChain) (genesis hash \(expectedHash.hex)); use a separate data directory per chain"
        case let .schemaTooNew(path, found, supported):
            return "database at \(path) has schema version \(found), newer than this binary supports (\(supported)); "
                + "upgrade the node"
        case let .conflictingBlock(height, existing, new):
            return "block \(height.rawValue) is already stored with hash \(existing.hex); refusing a different block "
                + "with hash \(new.hex) (this replica has diverged from the chain it stored)"
        case let .heightGap(head, got):
            return "cannot apply block \(got.rawValue): the stored head is \(head.rawValue), so the next block must be "
                + "\(head.rawValue &+ 1); fetch the missing blocks first"
        case let .doesNotExtendHead(height, expected, found):
            return "block \(height.rawValue) names previous hash \(found.hex) but the stored head has hash \(expected.hex)"
        case let .invalidBlock(height, reason):
            return "refusing to store block \(height.rawValue): \(reason)"
        case let .invalidStoredData(what, detail):
            return "stored \(what) cannot be decoded: \(detail); the database may be damaged"
        case let .rangeTooLarge(requested, maximum):
            return "request for \(requested) rows exceeds the maximum of \(maximum) per call; page through the range"
        case let .diskFull(path):
            return "disk full while writing \(path); free space and restart (the failed block was not stored)"
        case let .busy(path):
            return "database at \(path) is locked by another process; is a second node running on the same data directory?"
        case let .inUse(path, holder):
            let who = holder.map { "process \($0)" } ?? "another ledger process"
            return "database at \(path) is in use by \(who) (it holds \(path)-lock); "
                + "stop that node first, or give this one its own data directory"
        case .closed:
            return "the ledger store has been closed"
        case let .sqlite(code, message, context):
            return "SQLite error \(code) during \(context): \(message)"
        }
    }
}
