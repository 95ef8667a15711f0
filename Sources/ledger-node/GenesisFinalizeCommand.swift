import ArgumentParser
import LedgerCore

/// `ledger-node genesis finalize`: a complete draft becomes the loadable genesis, and its hash is printed.
struct GenesisFinalize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finalize",
        abstract: "Turn a complete draft into the network's genesis (loadable by nodes) and print its hash.",
        discussion: """
            Refused while the draft cannot run a network: at least \(Limits.validatorsMin)
            validators (f = ⌊(n − 1)/3⌋ >= 1; any n up to \(Limits.validatorsMax) works, with
            quorums of ⌈(n + f + 1)/2⌉), and a view change that fits a P2P
            frame. Afterwards validators and accounts can no longer be
            added (that would be another chain); set-address still works.
            """)

    @Argument(help: "The draft genesis file (rewritten in place).") var file: String

    func run() throws {
        let draft = GenesisDocument.loadDraft(file)
        let genesis: Genesis
        do { genesis = try draft.finalized() } catch { fail("\(file): cannot finalize: \(error)") }
        if let problem = runProblem(genesis) { fail("\(file): cannot finalize: \(problem)") }
        writeGenesisFile(genesis.jsonBytes(), to: file)
        print("finalized \(file): chain '\(genesis.chainID)', \(validatorCountAdvice(genesis.validatorCount))")
        print("genesis hash: \(genesis.genesisHash.hex)")
        print("next: send \(file) to every operator; each puts it into its home as genesis.json and compares")
        print("the hash printed by: ledger-node genesis validate HOME/genesis.json")
    }
}
