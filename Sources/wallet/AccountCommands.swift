import ArgumentParser
import LedgerCore
import LedgerJSON
import Wallet

/// `wallet address NAME`.
struct AddressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "address", abstract: "Print the address of a key.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String

    func run() throws {
        let info: KeyInfo
        do { info = try global.makeKeystore().info(try KeyName(name)) } catch { throw WalletError.keystore(error) }
        Output.emit(global.json, json: .object([("name", .string(name)), ("address", .string(info.address.string))]),
                    text: info.address.string)
    }
}

/// `wallet balance ADDRESS|NAME`.
struct BalanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "balance", abstract: "Show an account's balance.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "An ldg1… address or a key name.") var account: String

    func run() async throws {
        let (info, node) = try await lookUpAccount(account, global: global)
        Output.emit(global.json, json: accountJSON(info, node: node), text: String(info.balance))
    }
}

/// `wallet nonce ADDRESS|NAME`.
struct NonceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nonce", abstract: "Show an account's next nonce.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "An ldg1… address or a key name.") var account: String

    func run() async throws {
        let (info, node) = try await lookUpAccount(account, global: global)
        Output.emit(global.json, json: accountJSON(info, node: node), text: String(info.nonce))
    }
}

/// The committed account for `account` (an address or a key name) and the URL of the node asked.
func lookUpAccount(_ account: String, global: GlobalOptions) async throws -> (AccountInfo, String) {
    let address = try InputParsing.accountAddress(account, keystore: global.makeKeystore())
    let node = try global.makeNode()
    return (try await node.account(address), node.url)
}

func accountJSON(_ info: AccountInfo, node: String) -> JSONValue {
    .object([
        ("address", .string(info.address)), ("balance", .decimal(info.balance)), ("nonce", .decimal(info.nonce)),
        ("node", .string(node)),
    ])
}
