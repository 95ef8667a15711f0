import ArgumentParser
import Foundation
import LedgerCore

/// `ledger-node genesis new`: an empty draft (no validators, no accounts) with the chain's id and parameters.
struct GenesisNew: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Start a draft genesis: chain id and consensus parameters, no validators or accounts yet.",
        discussion: """
            The draft ("draft": true) is not loadable by a node until
            'ledger-node genesis finalize'. The chain is a production chain
            (test_network false: --byzantine refuses to start) unless
            --test-network is given.
            """)

    @Option(help: "The draft genesis file to write.") var out: String
    @Option(name: .customLong("chain-id"), help: "Chain id ([a-z0-9._-], 1–64 characters, first [a-z0-9]).") var chainID: String
    @Flag(name: .customLong("test-network"), help: "Mark the chain a test network (allows ledger-node start --byzantine).")
    var testNetwork = false
    @Option(name: .customLong("checkpoint-interval"), help: "Blocks between checkpoints (window = 4×).") var checkpointInterval: UInt64 = 100
    @Option(name: .customLong("view-change-timeout-ms"), help: "Initial view-change timeout.") var viewChangeTimeoutMs: UInt64 = 2000
    @Option(name: .customLong("batch-delay-ms"), help: "How long the primary waits to fill a batch.") var batchDelayMs: UInt64 = 20
    @Option(name: .customLong("genesis-time-ms"), help: "Timestamp of block 0, ms since the Unix epoch (default: now).")
    var genesisTimeMs: UInt64?
    @Flag(help: "Overwrite an existing file.") var force = false

    func run() throws {
        if FileManager.default.fileExists(atPath: out) && !force {
            fail("\(out) exists; refusing to replace it (use --force)")
        }
        var consensus = ConsensusParameters.testDefaults
        consensus.checkpointInterval = checkpointInterval
        let (window, overflow) = checkpointInterval.multipliedReportingOverflow(by: 4)
        consensus.window = overflow ? .max : window
        consensus.viewChangeTimeoutMs = viewChangeTimeoutMs
        consensus.batchDelayMs = batchDelayMs
        let time = genesisTimeMs ?? UInt64(Date().timeIntervalSince1970 * 1000)
        let draft: GenesisDraft
        do {
            draft = try GenesisDraft(chainID: chainID, genesisTimeMs: time, consensus: consensus, isTestNetwork: testNetwork)
        } catch {
            fail("\(error)")
        }
        writeGenesisFile(draft.jsonBytes(), to: out)
        print("wrote draft genesis \(out): chain '\(chainID)', \(testNetwork ? "TEST network" : "production (test_network false)")")
        print("next: ledger-node genesis add-validator \(out) --from validator.json   (once per validator)")
    }
}
