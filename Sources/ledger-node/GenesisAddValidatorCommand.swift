import ArgumentParser
import LedgerCore

/// `ledger-node genesis add-validator`: appends one operator's validator (from its hand-over) to a draft.
struct GenesisAddValidator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-validator",
        abstract: "Add a validator to a draft genesis, from its operator's validator.json or the values it printed.",
        discussion: """
            The validator gets the next id (0, 1, 2, … in the order added;
            the primary of view v is validator v mod n). Refused: a key that
            is not 64 hex characters of a valid Ed25519 key, a key or
            p2p address another validator has, an address that is not
            host:port, more than 100 validators, a finalized genesis.
            """)

    @Argument(help: "The draft genesis file (edited in place).") var file: String
    @Option(help: "The operator's hand-over file (written by ledger-node init).") var from: String?
    @Option(name: .customLong("public-key"), help: "The validator's public key, 64 hex characters (instead of --from).")
    var publicKey: String?
    @Option(name: .customLong("p2p-address"), help: "host:port peers dial (with --public-key).") var p2pAddress: String?
    @Option(name: .customLong("rpc-address"), help: "host:port of its JSON-RPC, optional (with --public-key).") var rpcAddress: String?

    func run() throws {
        let handover: ValidatorHandover
        switch (from, publicKey, p2pAddress) {
        case let (path?, nil, nil) where rpcAddress == nil:
            do { handover = try ValidatorHandover.load(from: path) } catch { fail("\(error)") }
        case let (nil, key?, address?):
            handover = ValidatorHandover(publicKeyHex: key, p2pAddress: address, rpcAddress: rpcAddress)
        case (nil, _, _):
            fail("give --from validator.json, or --public-key and --p2p-address (with an optional --rpc-address)")
        default:
            fail("give either --from or --public-key/--p2p-address/--rpc-address, not both")
        }
        var draft = GenesisDocument.loadDraft(file)
        let added: Validator
        do {
            added = try draft.addValidator(
                publicKeyHex: handover.publicKeyHex, p2pAddress: handover.p2pAddress, rpcAddress: handover.rpcAddress)
        } catch {
            fail("\(file): \(error)")
        }
        writeGenesisFile(draft.jsonBytes(), to: file)
        print("added validator \(added.id.index): key \(added.publicKey.hex)  p2p \(added.p2pAddress)  rpc \(added.rpcAddress ?? "-")")
        print("draft \(file) has \(validatorCountAdvice(draft.validators.count))")
    }
}
