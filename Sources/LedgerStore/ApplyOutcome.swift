/// What `LedgerStore.apply` did with a block.
public enum ApplyOutcome: Hashable, Sendable {
    /// The block was new and is now the head.
    case applied
    /// The same block (same hash) was already stored at its height; nothing changed except,
    /// possibly, a commit certificate filled in where none was stored.
    case alreadyStored
}
