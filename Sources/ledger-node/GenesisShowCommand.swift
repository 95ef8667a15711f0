import ArgumentParser
import Foundation
import LedgerCore

/// `ledger-node genesis show`: everything in a genesis or draft, for humans.
struct GenesisShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a genesis or draft: chain id, test network, validators, accounts, consensus parameters, hash.")

    @Argument(help: "The genesis file (draft or finalized).") var file: String

    func run() throws {
        let document = GenesisDocument.load(file)
        let chainID: String, isTestNetwork: Bool, validators: [Validator], accounts: [GenesisAccount]
        let consensus: ConsensusParameters, genesisTimeMs: UInt64, hashLine: String
        switch document {
        case .final(let g):
            (chainID, isTestNetwork, validators, accounts) = (g.chainID, g.isTestNetwork, g.validators, g.accounts)
            (consensus, genesisTimeMs) = (g.consensus, g.genesisTimeMs)
            hashLine = "genesis hash:  \(g.genesisHash.hex)"
        case .draft(let d):
            (chainID, isTestNetwork, validators, accounts) = (d.chainID, d.isTestNetwork, d.validators, d.accounts)
            (consensus, genesisTimeMs) = (d.consensus, d.genesisTimeMs)
            hashLine = "genesis hash:  none yet (a draft; 'ledger-node genesis finalize' prints it)"
        }
        if case .draft = document { print("DRAFT (not loadable by a node until finalized)") }
        print("chain id:      \(chainID)")
        print("test network:  \(isTestNetwork ? "yes (ledger-node start --byzantine allowed)" : "no")")
        let date = Date(timeIntervalSince1970: Double(genesisTimeMs) / 1000).formatted(.iso8601)
        print("genesis time:  \(genesisTimeMs) ms since the Unix epoch (\(date))")
        print("validators:    \(validatorCountAdvice(validators.count))")
        for v in validators {
            print("  \(v.id.index)  \(v.publicKey.hex)  p2p \(v.p2pAddress)  rpc \(v.rpcAddress ?? "-")")
        }
        let total = accounts.reduce(UInt64(0)) { $0 &+ $1.balance }  // checked not to overflow
        print("accounts:      \(accounts.count), total supply \(total)")
        for a in accounts { print("  \(a.address)  \(a.balance)") }
        print("consensus:     max_batch_txs \(consensus.maxBatchTransactions), max_batch_bytes \(consensus.maxBatchBytes), "
              + "batch_delay_ms \(consensus.batchDelayMs), checkpoint_interval \(consensus.checkpointInterval), "
              + "window \(consensus.window), view_change_timeout_ms \(consensus.viewChangeTimeoutMs), "
              + "max_clock_drift_ms \(consensus.maxClockDriftMs)")
        print(hashLine)
    }
}
