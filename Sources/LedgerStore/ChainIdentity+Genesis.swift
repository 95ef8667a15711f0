import LedgerCore

extension ChainIdentity {
    /// The identity of the chain that `genesis` starts: its chain id, genesis hash, height-0
    /// header and initial accounts.
    public init(genesis: Genesis) {
        self.init(
            chainID: genesis.chainID, genesisHash: genesis.genesisHash, genesisHeader: genesis.header,
            accounts: genesis.initialAccounts)
    }
}

extension LedgerStore {
    /// Opens (or creates from `genesis`) the database at `path`; see `open(path:identity:configuration:)`.
    public static func open(
        path: String, genesis: Genesis, configuration: StoreConfiguration = StoreConfiguration()
    ) throws(StoreError) -> LedgerStore {
        try open(path: path, identity: ChainIdentity(genesis: genesis), configuration: configuration)
    }
}
