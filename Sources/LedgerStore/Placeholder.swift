// LedgerStore: under construction.
