import ArgumentParser
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
import Wallet

/// `wallet keys …`: the encrypted keystore.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list, show, import, export and delete keys.",
        subcommands: [KeysNew.self, KeysList.self, KeysShow.self, KeysImport.self, KeysExport.self, KeysDelete.self])
}

extension KDFStrength: ExpressibleByArgument {}

func keyName(_ text: String) throws(WalletError) -> KeyName {
    do { return try KeyName(text) } catch { throw .keystore(error) }
}

func keyInfoJSON(_ info: KeyInfo) -> JSONValue {
    .object([
        ("name", .string(info.name.value)), ("address", .string(info.address.string)),
        ("public_key", .string(info.address.publicKey.hex)), ("path", .string(info.path)),
    ])
}

struct KeysNew: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new", abstract: "Create a new random key, encrypted with a passphrase.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Key name (A–Z a–z 0–9 . _ -, up to 64).") var name: String
    @Option(help: "Argon2id cost: interactive (≈0.1 s, 64 MiB), moderate (≈1 s, 256 MiB), sensitive (≈4 s, 1 GiB).")
    var kdf: KDFStrength = .moderate

    func run() throws {
        let name = try keyName(name)
        let keystore = global.makeKeystore()
        if keystore.contains(name) { throw WalletError.keystore(.keyExists(name: name.value, path: keystore.path(for: name))) }
        let pass = try global.passphrase(for: name.value, confirm: true)
        let info: KeyInfo
        do { info = try keystore.create(name: name, passphrase: pass, strength: kdf) } catch { throw WalletError.keystore(error) }
        Output.emit(global.json, json: keyInfoJSON(info), text: """
            created key '\(info.name)'
            address: \(info.address)
            file:    \(info.path)
            Back up the seed with `wallet keys export \(info.name)` and keep it offline.
            """)
    }
}

struct KeysList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the keys in the keystore.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let keystore = global.makeKeystore()
        let keys: [KeyInfo]
        let problems: [KeystoreError]
        do { (keys, problems) = try keystore.list() } catch { throw WalletError.keystore(error) }
        for p in problems { Terminal.writeError("warning: \(p)\n") }
        if global.json {
            Output.printJSON(.object([
                ("keystore", .string(keystore.folder)), ("keys", .array(keys.map(keyInfoJSON))),
                ("unreadable", .array(problems.map { .string($0.description) })),
            ]))
        } else if keys.isEmpty {
            print("no keys in \(keystore.folder); create one with `wallet keys new NAME`")
        } else {
            let width = max(4, keys.map { $0.name.value.count }.max() ?? 4)
            print("NAME".padding(toLength: width, withPad: " ", startingAt: 0) + "  ADDRESS")
            for k in keys { print(k.name.value.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + k.address.string) }
        }
    }
}

struct KeysShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a key's address and file (no passphrase needed).")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String

    func run() throws {
        let name = try keyName(name)
        let keystore = global.makeKeystore()
        let file: KeyFile
        do { file = try keystore.load(name) } catch { throw WalletError.keystore(error) }
        let info = KeyInfo(name: name, address: file.address, path: keystore.path(for: name))
        let json = keyInfoJSON(info).setting("kdf", .object([
            ("name", .string(KeyFile.kdfName)), ("opslimit", .uint(file.kdf.opsLimit)),
            ("memlimit", .uint(file.kdf.memLimitBytes)),
        ]))
        Output.emit(global.json, json: json, text: """
            name:       \(name)
            address:    \(file.address)
            public key: \(file.address.publicKey.hex)
            file:       \(info.path)
            kdf:        argon2id, opslimit \(file.kdf.opsLimit), memlimit \(file.kdf.memLimitBytes / 1_048_576) MiB
            """)
    }
}

struct KeysImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a key from its 32-byte seed in hex (from --seed-file or stdin).")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @Option(help: "File holding the seed as 64 hex characters (default: read stdin).") var seedFile: String?
    @Option(help: "Argon2id cost: interactive, moderate or sensitive.") var kdf: KDFStrength = .moderate

    func run() throws {
        let name = try keyName(name)
        let keystore = global.makeKeystore()
        if keystore.contains(name) { throw WalletError.keystore(.keyExists(name: name.value, path: keystore.path(for: name))) }
        let text: String
        if let seedFile {
            guard let data = FileManager.default.contents(atPath: seedFile), data.count <= 4096 else {
                throw WalletError.usage("cannot read the seed file \(seedFile) (missing, unreadable or over 4 KiB)")
            }
            text = String(decoding: data, as: UTF8.self)
        } else {
            if Terminal.stdinIsTerminal { Terminal.writeError("Seed (64 hex characters): ") }
            guard let line = readLine(strippingNewline: true) else { throw WalletError.usage("no seed on stdin; use --seed-file FILE") }
            text = line
        }
        let seed: [UInt8]
        do { seed = try InputParsing.seed(text) } catch { throw WalletError.keystore(error) }
        let pass = try global.passphrase(for: name.value, confirm: true)
        let info: KeyInfo
        do { info = try keystore.create(name: name, seed: seed, passphrase: pass, strength: kdf) } catch {
            throw WalletError.keystore(error)
        }
        Output.emit(global.json, json: keyInfoJSON(info), text: "imported key '\(info.name)'\naddress: \(info.address)\nfile:    \(info.path)")
    }
}

struct KeysExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Print a key's seed (hex) after the passphrase. Anyone with it can spend.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String

    func run() throws {
        let name = try keyName(name)
        let keystore = global.makeKeystore()
        let pass = try global.passphrase(for: name.value)
        let key: SigningKey
        do { key = try keystore.unlock(name, passphrase: pass) } catch { throw WalletError.keystore(error) }
        let warning = "WARNING: this is the secret seed of '\(name)'. Anyone who sees it can spend its funds. Store it offline."
        Terminal.writeError(warning + "\n")
        Output.emit(global.json, json: .object([
            ("name", .string(name.value)), ("address", .string(Address(publicKey: key.publicKey).string)),
            ("seed", .string(Hex.encode(key.seed))), ("warning", .string(warning)),
        ]), text: Hex.encode(key.seed))
    }
}

struct KeysDelete: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a key file (irreversible).")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String
    @Flag(name: .shortAndLong, help: "Do not ask for confirmation.") var yes = false

    func run() throws {
        let name = try keyName(name)
        let keystore = global.makeKeystore()
        let info: KeyInfo
        do { info = try keystore.info(name) } catch { throw WalletError.keystore(error) }
        if !yes {
            guard Terminal.stdinIsTerminal else {
                throw WalletError.usage("deleting '\(name)' cannot be undone; back it up with `wallet keys export \(name)`, then rerun with --yes")
            }
            Terminal.writeError("Delete key '\(name)' (\(info.address))? Its funds are lost without a backup. Type the name to confirm: ")
            guard readLine() == name.value else { throw WalletError.usage("not confirmed; nothing deleted") }
        }
        do { try keystore.delete(name) } catch { throw WalletError.keystore(error) }
        Output.emit(global.json, json: keyInfoJSON(info).setting("deleted", .bool(true)), text: "deleted key '\(name)' (\(info.address))")
    }
}
