import ArgumentParser
import LedgerCore

/// `ledger-node genesis set-address`: moves a validator to a new address; the genesis hash (and the chain) stay.
struct GenesisSetAddress: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-address",
        abstract: "Give a validator a new p2p (and/or rpc) address; the genesis hash does not change.",
        discussion: """
            Network addresses are outside the genesis hash (decision 0034): a
            peer is authenticated by its key in the handshake, not by its
            address. Hand the edited file to the operators; nodes restarted
            with it dial the new address and keep the same chain and data.
            A single node can also dial elsewhere without a new file: "peers"
            in its config.json. Refused: an unknown validator id, an address
            that is not host:port, a p2p address another validator has.
            """)

    @Argument(help: "The genesis file, finalized or draft (edited in place).") var file: String
    @Option(help: "The validator's id (0, 1, …; see genesis show).") var validator: Int
    @Option(name: .customLong("p2p-address"), help: "Its new host:port for peers.") var p2pAddress: String?
    @Option(name: .customLong("rpc-address"), help: "Its new host:port for JSON-RPC.") var rpcAddress: String?

    func run() throws {
        guard p2pAddress != nil || rpcAddress != nil else { fail("give --p2p-address and/or --rpc-address") }
        guard validator >= 0 else { fail("--validator \(validator): ids are 0, 1, 2, …") }
        let id = ReplicaID(validator)
        switch GenesisDocument.load(file) {
        case .final(let genesis):
            let moved: Genesis
            do { moved = try genesis.movingValidator(id, p2pAddress: p2pAddress, rpcAddress: rpcAddress) } catch {
                fail("\(file): \(error)")
            }
            writeGenesisFile(moved.jsonBytes(), to: file)
            report(moved.validators[validator])
            print("genesis hash: \(moved.genesisHash.hex) (unchanged: addresses are outside the hash)")
        case .draft(var draft):
            do { try draft.moveValidator(id, p2pAddress: p2pAddress, rpcAddress: rpcAddress) } catch {
                fail("\(file): \(error)")
            }
            writeGenesisFile(draft.jsonBytes(), to: file)
            report(draft.validators[validator])
        }
    }

    private func report(_ v: Validator) {
        print("validator \(v.id.index) now at p2p \(v.p2pAddress)  rpc \(v.rpcAddress ?? "-") in \(file)")
    }
}
