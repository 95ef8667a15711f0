import ArgumentParser
import Foundation
import LedgerCore
import Node

/// `ledger-node validators change approve`: a validator's operator adds its approval.
struct ValidatorChangeApprove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Approve a change with this home's validator key (the file is edited in place).",
        discussion: """
            Read the change first ('show'): approving signs exactly the
            operations, chain and epoch in the file; the approval is no good
            for any other change or epoch. The key never leaves the home.
            """)

    @Argument(help: "The change file (edited in place).") var file: String
    @Option(help: "The node home whose validator key approves.") var home: String

    func run() throws {
        let change = loadChange(file)
        let key: NodeKey
        do {
            let config = try NodeConfig.load(path: (home as NSString).appendingPathComponent(NodeHome.configFileName))
            key = try NodeKey.load(path: NodeFiles.resolve(config.keyFile, home: home))
        } catch {
            fail("\(error)")
        }
        let approved = change.approved(by: key.signingKey)
        writeChange(approved, to: file)
        print("approved change \(change.id.hex) as \(key.signingKey.publicKey.hex)")
        print("\(file) holds \(counted(approved.approvals.count, "approval")); send it to the coordinator, who runs")
        print("  ledger-node validators change combine CHANGE.json \(file) …")
    }
}

/// `ledger-node validators change combine`: merges approved copies of one change.
struct ValidatorChangeCombine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "combine",
        abstract: "Add the approvals of other copies of the same change to the first file.",
        discussion: "Refused when a copy holds a different change (its id differs): nobody can slip in an edit.")

    @Argument(help: "The change file that receives the approvals (edited in place).") var file: String
    @Argument(help: "Copies of the same change, each with approvals.") var others: [String]

    func run() throws {
        guard !others.isEmpty else { fail("give at least one other copy of the change to combine") }
        var change = loadChange(file)
        for path in others {
            do { change = try change.combining(loadChange(path)) } catch { fail("\(path): \(error)") }
        }
        writeChange(change, to: file)
        print("\(file): change \(change.id.hex) now holds \(counted(change.approvals.count, "approval"))")
    }
}

/// `ledger-node validators change show`: what a change does and whether it is approved.
struct ValidatorChangeShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a change, and with --genesis whether the set of epoch 0 would accept it.")

    @Argument(help: "The change file.") var file: String
    @Option(help: "The chain's genesis file: check the change against its validator set (epoch 0).") var genesis: String?

    func run() throws {
        let change = loadChange(file)
        print("change:     \(change.id.hex)")
        print("chain id:   \(change.chainID)")
        print("epoch:      \(change.epoch) (approved by this epoch's validators; applied, it starts epoch \(change.epoch &+ 1))")
        print("operations:")
        for operation in change.operations { print("  \(describe(operation))") }
        print("approvals:  \(change.approvals.count)")
        for approval in change.approvals { print("  \(approval.signer.hex)") }
        guard let genesis else { return }
        guard case .final(let g) = GenesisDocument.load(genesis) else { fail("\(genesis) is a draft genesis") }
        guard change.epoch == 0 else {
            fail("the change is for epoch \(change.epoch); the genesis holds the set of epoch 0 (ask a node's 'validators' RPC)")
        }
        do {
            let next = try change.nextSet(after: g.validators, currentEpoch: 0, chainID: g.chainID)
            print("accepted:   yes; the next set has \(validatorCountAdvice(next.count))")
            for v in next { print("  \(v.id.index)  \(v.publicKey.hex)  p2p \(v.p2pAddress)") }
        } catch {
            print("accepted:   no: \(error)")
            throw ExitCode(2)
        }
    }
}
