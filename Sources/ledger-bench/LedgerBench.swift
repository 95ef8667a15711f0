import ArgumentParser

/// `ledger-bench`: the project's benchmark commands. Figures are printed, never asserted:
/// the machine is shared and noisy, so compare numbers taken in the same run.
@main
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger-bench",
        abstract: "Benchmarks for the ledger (build with -c release before trusting a number).",
        subcommands: [Micro.self, RPCBench.self, LoadCommand.self],
        defaultSubcommand: Micro.self
    )
}
