import ArgumentParser
import LedgerCore

/// `ledger-node genesis validate`: is this a complete genesis a node can run, and what is its hash.
struct GenesisValidate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check that a genesis file is complete and loadable by a node, and print the hash every operator compares.",
        discussion: """
            Exits non-zero with the reason when it is not (a draft not yet
            finalized, too few validators, a bad entry, …). Every operator
            runs this on the genesis.json they received and compares the
            printed hash with the coordinator's over a channel they trust.
            """)

    @Argument(help: "The genesis file.") var file: String

    func run() throws {
        let genesis: Genesis
        switch GenesisDocument.load(file) {
        case .final(let loaded): genesis = loaded
        case .draft(let draft):
            let advice: String
            do { _ = try draft.finalized(); advice = "it is complete: run 'ledger-node genesis finalize \(file)'" } catch {
                advice = "\(error)"
            }
            fail("\(file) is a draft, not loadable by a node; \(advice)")
        }
        if let problem = runProblem(genesis) { fail("\(file): \(problem)") }
        print("valid genesis \(file): chain '\(genesis.chainID)', \(validatorCountAdvice(genesis.validatorCount)), "
              + "\(counted(genesis.accounts.count, "account")), test network: \(genesis.isTestNetwork ? "yes" : "no")")
        print("genesis hash: \(genesis.genesisHash.hex)")
    }
}
