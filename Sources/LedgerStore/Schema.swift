/// The database schema as an ordered list of migrations.
///
/// `meta.schema_version` records the last migration applied. Opening a database runs the
/// missing migrations in one transaction; a database whose version is above
/// `Schema.currentVersion` was written by a newer binary and is refused, never downgraded.
///
/// Integer columns that hold `UInt64` values (amounts, balances, nonces, timestamps) store the
/// bit pattern as SQLite's signed 64-bit integer; nothing in SQL does arithmetic on them.
enum Schema {
    /// One step from version `version - 1` to `version`.
    struct Migration {
        let version: Int64
        let sql: String
    }

    /// The version a fresh database is created at and the highest one this binary reads.
    static var currentVersion: Int64 { migrations.last!.version }

    /// Every migration, in order. Append only; never edit a released one.
    static let migrations: [Migration] = [
        Migration(version: 1, sql: """
            CREATE TABLE meta (
                key   TEXT PRIMARY KEY,
                value BLOB NOT NULL
            ) WITHOUT ROWID;

            -- One row per block; height 0 is the genesis block (no transactions).
            CREATE TABLE blocks (
                height      INTEGER PRIMARY KEY,
                hash        BLOB NOT NULL UNIQUE,
                header      BLOB NOT NULL,           -- BlockHeader.encoded()
                certificate BLOB                     -- commit certificate, NULL for genesis / not yet known
            );

            -- One row per committed transaction. id = height << 20 | index, so a block's
            -- transactions are one contiguous id range (the block body is read from here).
            -- The *_key columns are the first 8 bytes of the hash / key as an integer: the indexes
            -- on them are a third the size of indexes on 32-byte blobs, which keeps block apply
            -- fast; lookups check the full value too. The hash is NOT unique: a Byzantine primary
            -- may order an already-committed transaction again (it then fails on its nonce), and
            -- that must not stop honest replicas from storing the block.
            CREATE TABLE transactions (
                id            INTEGER PRIMARY KEY,
                hash          BLOB NOT NULL,
                hash_key      INTEGER NOT NULL,
                height        INTEGER NOT NULL,
                idx           INTEGER NOT NULL,
                sender        BLOB NOT NULL,
                sender_key    INTEGER NOT NULL,
                recipient     BLOB NOT NULL,
                recipient_key INTEGER NOT NULL,
                nonce         INTEGER NOT NULL,
                amount        INTEGER NOT NULL,
                raw           BLOB NOT NULL,        -- Transaction.encoded()
                status        INTEGER NOT NULL,     -- 0 success, 1 failed
                failure       TEXT,                 -- FailureReason description, NULL on success
                receipt       BLOB                  -- Receipt.encoded() of a failure; NULL = success (rebuilt on read)
            );
            CREATE INDEX transactions_by_hash ON transactions (hash_key);
            CREATE INDEX transactions_by_sender ON transactions (sender_key);
            CREATE INDEX transactions_by_recipient ON transactions (recipient_key);

            CREATE TABLE accounts (
                public_key BLOB PRIMARY KEY,
                balance    INTEGER NOT NULL,
                nonce      INTEGER NOT NULL
            ) WITHOUT ROWID;

            CREATE TABLE checkpoints (
                seq        INTEGER PRIMARY KEY,
                block_hash BLOB NOT NULL,
                proof      BLOB NOT NULL
            );

            -- What this replica has signed, so it never signs a conflicting message after a restart.
            CREATE TABLE consensus_log (
                id    INTEGER PRIMARY KEY AUTOINCREMENT,
                view  INTEGER NOT NULL,
                seq   INTEGER NOT NULL,
                kind  INTEGER NOT NULL,
                bytes BLOB NOT NULL
            );
            CREATE INDEX consensus_log_by_seq ON consensus_log (seq);
            """),
        // The lookup indexes become tables written in sorted batches (`DeferredIndex`): random-key
        // SQLite indexes maintained with every block rewrote most of their pages at each commit.
        // meta.indexed_through: every transaction of a block at or below it is in the three tables.
        Migration(version: 2, sql: """
            CREATE TABLE tx_by_hash (key INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
            CREATE TABLE tx_by_sender (key INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
            CREATE TABLE tx_by_recipient (key INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
            INSERT INTO tx_by_hash (key, id) SELECT hash_key, id FROM transactions ORDER BY hash_key, id;
            INSERT INTO tx_by_sender (key, id) SELECT sender_key, id FROM transactions ORDER BY sender_key, id;
            INSERT INTO tx_by_recipient (key, id) SELECT recipient_key, id FROM transactions ORDER BY recipient_key, id;
            DROP INDEX transactions_by_hash;
            DROP INDEX transactions_by_sender;
            DROP INDEX transactions_by_recipient;
            INSERT OR REPLACE INTO meta (key, value) VALUES ('indexed_through', (SELECT coalesce(max(height), 0) FROM blocks));
            """),
        // Validator-set changes (decision 0038): each block's change with its receipt, and the set of every
        // epoch after genesis (epoch 0's is the genesis set). meta.membership holds the current `Membership`
        // once a change was executed (absent: the genesis set, nothing pending).
        Migration(version: 3, sql: """
            CREATE TABLE block_changes (
                height  INTEGER NOT NULL,
                idx     INTEGER NOT NULL,
                hash    BLOB NOT NULL,
                raw     BLOB NOT NULL,        -- ValidatorSetChange.encoded()
                receipt BLOB NOT NULL,        -- Receipt.encoded()
                PRIMARY KEY (height, idx)
            ) WITHOUT ROWID;
            CREATE TABLE epochs (
                epoch        INTEGER PRIMARY KEY,
                first_height INTEGER NOT NULL UNIQUE,
                validators   BLOB NOT NULL    -- Membership.encodedSet
            );
            """),
    ]

    /// Meta keys.
    enum Key {
        static let schemaVersion = "schema_version"
        static let chainID = "chain_id"
        static let genesisHash = "genesis_hash"
        static let indexedThrough = "indexed_through"
        static let membership = "membership"
    }
}
