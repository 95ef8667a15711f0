import ArgumentParser
import LedgerCore

/// `ledger-node genesis add-account`: an initial balance in a draft.
struct GenesisAddAccount: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-account",
        abstract: "Give an address an initial balance in a draft genesis.",
        discussion: """
            Refused: an address that is not a valid ldg1… address (bech32m),
            a balance of 0 or not a plain decimal integer, an address already
            funded, balances adding up to more than 18446744073709551615.
            """)

    @Argument(help: "The draft genesis file (edited in place).") var file: String
    @Option(help: "The account's address (ldg1…, e.g. from wallet keys new).") var address: String
    @Option(help: "Its initial balance: a positive decimal integer.") var balance: String

    func run() throws {
        var draft = GenesisDocument.loadDraft(file)
        do { try draft.addAccount(address: address, balance: balance) } catch { fail("\(file): \(error)") }
        writeGenesisFile(draft.jsonBytes(), to: file)
        let total = draft.accounts.reduce(UInt64(0)) { $0 &+ $1.balance }  // checked not to overflow
        print("added account \(draft.accounts.count - 1): \(address) with \(balance)")
        print("draft \(file) has \(counted(draft.accounts.count, "account")), total supply \(total)")
    }
}
