import ArgumentParser
import Foundation
import LedgerCore
import LedgerJSON
import Wallet

/// `wallet`: keys, balances and transfers on the BFT ledger from the command line.
@main
struct WalletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wallet",
        abstract: "Keys, balances and transfers on the BFT ledger.",
        discussion: """
            The node is --node URL, else $LEDGER_NODE, else the first node of the local testnet \
            ($TESTNET_DIR/nodes.json or ./.testnet/nodes.json), else \(NodeLocator.fallbackURL).
            Keys live in --keystore DIR, else $LEDGER_KEYSTORE, else ~/.ledger/keys (one encrypted file per key: \
            Argon2id + XChaCha20-Poly1305; files 0600, folder 0700). The passphrase comes from $LEDGER_PASSPHRASE, \
            else a prompt without echo.
            Every command takes --json and then prints exactly one JSON document on stdout (errors included: \
            {"error": {"kind", "message", "exit_code"}}). Quantities are decimal strings.

            Exit codes:
              0  success
              1  usage error or invalid input (bad address checksum, amount, hash, name)
              2  node unreachable, connection broken or request timed out
              3  transaction rejected or failed (insufficient funds, nonce race, failed)
              4  timed out waiting for the commit (it may still commit; never re-sent)
              5  keystore or passphrase problem (wrong passphrase, missing/damaged key)
              6  the node answered with an error (not found, invalid params, internal)
              7  wallet tx: the Merkle proof or commit certificate did not verify

            Examples:
              wallet keys new alice
              wallet transfer --from faucet --to alice --amount 100
              wallet tx <HASH>
            """,
        version: SoftwareVersion.current,
        subcommands: [
            KeysCommand.self, AddressCommand.self, BalanceCommand.self, NonceCommand.self, TransferCommand.self,
            TxCommand.self, BlockCommand.self, StatusCommand.self,
        ]
    )

    static func main() async {
        let arguments = hoistGlobalOptions(Array(CommandLine.arguments.dropFirst()))
        let wantsJSON = arguments.contains("--json")
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch let error as WalletError {
            report(error, json: wantsJSON)
            Foundation.exit(error.exitCode)
        } catch let error as KeystoreError {
            report(.keystore(error), json: wantsJSON)
            Foundation.exit(WalletExitCode.keystore)
        } catch let error as RPCClientError {
            report(.rpc(error), json: wantsJSON)
            Foundation.exit(WalletError.rpc(error).exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                Self.exit(withError: error)
            }
            // Usage errors: ArgumentParser's message, exit code 1.
            Terminal.writeError(fullMessage(for: error) + "\n")
            if wantsJSON {
                Output.printJSON(.object([("error", .object([
                    ("kind", .string("usage")), ("message", .string(message(for: error))), ("exit_code", .int(1)),
                ]))]))
            }
            Foundation.exit(code == .validationFailure || code.rawValue == 64 ? WalletExitCode.usage : code.rawValue)
        }
    }

    /// Lets the global options come before the subcommand (`wallet --node URL status`): ArgumentParser only
    /// knows them on the subcommands, so leading ones are moved to the end.
    static func hoistGlobalOptions(_ args: [String]) -> [String] {
        var leading: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--json" {
                leading.append(a); i += 1
            } else if a == "--node" || a == "--keystore", i + 1 < args.count {
                leading += [a, args[i + 1]]; i += 2
            } else if a.hasPrefix("--node=") || a.hasPrefix("--keystore=") {
                leading.append(a); i += 1
            } else {
                break
            }
        }
        if leading.isEmpty || i == args.count { return args }
        var rest = Array(args[i...])
        if let dd = rest.firstIndex(of: "--") { rest.insert(contentsOf: leading, at: dd) } else { rest += leading }
        return rest
    }

    private static func report(_ error: WalletError, json: Bool) {
        Terminal.writeError("error: \(error.description)\n")
        if json {
            Output.printJSON(.object([("error", .object([
                ("kind", .string(error.kind)), ("message", .string(error.description)),
                ("exit_code", .int(Int(error.exitCode))),
            ]))]))
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Node RPC URL (default: $LEDGER_NODE, then the local testnet's first node).")
    var node: String?

    @Flag(name: .long, help: "Print one machine-readable JSON document on stdout.")
    var json = false

    @Option(name: .long, help: "Keystore folder (default: $LEDGER_KEYSTORE, then ~/.ledger/keys).")
    var keystore: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// The keystore selected by --keystore / LEDGER_KEYSTORE / default.
    func makeKeystore() -> Keystore {
        Keystore(folder: Keystore.defaultFolder(option: keystore, environment: environment))
    }

    /// The node URL selected by --node / LEDGER_NODE / testnet / default.
    var nodeURL: String {
        NodeLocator.resolve(option: node, environment: environment, currentDirectory: FileManager.default.currentDirectoryPath)
    }

    /// A client for the selected node.
    func makeNode() throws(WalletError) -> WalletNode {
        do { return WalletNode(client: try RPCClient(url: nodeURL)) } catch { throw .rpc(error) }
    }

    /// The passphrase (env or prompt).
    func passphrase(for name: String, confirm: Bool = false) throws(WalletError) -> [UInt8] {
        do {
            return try Passphrase.obtain(
                prompt: confirm ? "New passphrase for '\(name)': " : "Passphrase for '\(name)': ", confirm: confirm,
                environment: environment)
        } catch { throw .keystore(error) }
    }
}

/// Writes command results: a JSON document (`--json`) or human-readable lines.
enum Output {
    /// Prints `value` as one pretty JSON document on stdout.
    static func printJSON(_ value: JSONValue) {
        print(value.serialized(pretty: true))
    }

    /// Prints `json` when `asJSON`, else `text`.
    static func emit(_ asJSON: Bool, json: JSONValue, text: @autoclosure () -> String) {
        if asJSON { printJSON(json) } else { print(text()) }
    }
}
