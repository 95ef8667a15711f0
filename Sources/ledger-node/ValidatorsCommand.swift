import ArgumentParser
import Foundation
import LedgerCore
import LedgerCrypto
import Node

/// `ledger-node validators …`: changing the validator set of a running chain (issue 31, decision 0038).
struct ValidatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validators",
        abstract: "Change the validator set: build a change, collect the validators' approvals, combine them.",
        subcommands: [ValidatorChange.self])
}

/// `ledger-node validators change …`: the change file's life cycle.
struct ValidatorChange: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "change",
        abstract: "Build, approve, combine and inspect a validator-set change.",
        discussion: """
            A change adds validators, removes them or gives one a new key. It
            needs the approval of a quorum of the current set (3 of 4, 4 of 5,
            5 of 7, …), collected off-chain as with the genesis ceremony:
              ledger-node validators change new --out change.json --chain-id ID --epoch E \\
                  --add-from new-validator.json            (the coordinator)
              ledger-node validators change approve change.json --home HOME
                  (each approving validator's operator, on its own copy)
              ledger-node validators change combine change.json copy2.json copy3.json
              ledger-node validators change show change.json --genesis genesis.json
              ledger-node validators change submit change.json --rpc http://HOST:PORT
                  (test networks only in this version: the chain stops at the boundary)
            Refused: a change that would leave fewer than 4 validators,
            removes or re-keys more than f at once, repeats a key, is for
            another epoch, or has fewer approvals than the quorum.
            See docs/network.md "Changing the validator set".
            """,
        subcommands: [
            ValidatorChangeNew.self, ValidatorChangeApprove.self, ValidatorChangeCombine.self, ValidatorChangeShow.self,
            ValidatorChangeSubmit.self,
        ])
}

/// Reads a change file or exits with what is wrong.
func loadChange(_ path: String) -> ValidatorSetChange {
    do { return try ValidatorSetChange.load(from: path) } catch { fail("\(error)") }
}

/// Writes a change file in one step (mode 0644: a change holds no secret).
func writeChange(_ change: ValidatorSetChange, to path: String) {
    writeGenesisFile(change.jsonBytes(), to: path)
}

/// One line per operation, for people.
func describe(_ operation: ValidatorSetChange.Operation) -> String {
    switch operation {
    case let .add(key, p2p, rpc): "add     \(key.hex)  p2p \(p2p)  rpc \(rpc ?? "-")"
    case let .remove(key): "remove  \(key.hex)"
    case let .rotate(old, new): "rotate  \(old.hex) -> \(new.hex)"
    }
}

/// `ledger-node validators change new`: a new, unapproved change.
struct ValidatorChangeNew: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Write a new change file (no approvals yet).",
        discussion: """
            Operations are applied in this order: every --add-from, then every
            --remove, then every --rotate. Added validators join the set after
            the current ones, in the order given. A rotation keeps the
            validator's place and address; generate the new key with
            'ledger-node init' in a fresh home and give its public key.
            """)

    @Option(help: "Where to write the change file (refused if it exists).") var out: String
    @Option(name: .customLong("chain-id"), help: "The chain's id (or --genesis).") var chainID: String?
    @Option(help: "The chain's genesis file, for its chain id (or --chain-id).") var genesis: String?
    @Option(help: "The current epoch, whose validators approve the change (0 until a change took effect; the node's 'validators' RPC says it).")
    var epoch: UInt64
    @Option(name: .customLong("add-from"), help: "A joining validator's validator.json (from 'ledger-node init'); repeatable.")
    var addFrom: [String] = []
    @Option(help: "The public key (64 hex) of a validator to remove; repeatable.") var remove: [String] = []
    @Option(help: "OLD:NEW public keys (64 hex each): re-key a validator; repeatable.") var rotate: [String] = []

    func run() throws {
        let chain: String
        switch (chainID, genesis) {
        case let (id?, nil): chain = id
        case let (nil, path?):
            switch GenesisDocument.load(path) {
            case .final(let g): chain = g.chainID
            case .draft: fail("\(path) is a draft genesis; a change is for a running chain")
            }
        default: fail("give --chain-id or --genesis (one of them)")
        }
        if FileManager.default.fileExists(atPath: out) { fail("\(out) exists; choose another --out or remove it") }
        var operations: [ValidatorSetChange.Operation] = []
        for path in addFrom {
            let handover: ValidatorHandover
            do { handover = try ValidatorHandover.load(from: path) } catch { fail("\(error)") }
            operations.append(.add(publicKey: key(handover.publicKeyHex, "\(path) public_key"),
                                   p2pAddress: handover.p2pAddress, rpcAddress: handover.rpcAddress))
        }
        for hex in remove { operations.append(.remove(publicKey: key(hex, "--remove"))) }
        for pair in rotate {
            let parts = pair.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else { fail("--rotate \(pair): give OLD:NEW, two public keys") }
            operations.append(.rotate(old: key(String(parts[0]), "--rotate old key"), new: key(String(parts[1]), "--rotate new key")))
        }
        guard !operations.isEmpty else { fail("nothing to change: give --add-from, --remove or --rotate") }
        let change: ValidatorSetChange
        do { change = try ValidatorSetChange(chainID: chain, epoch: epoch, operations: operations) } catch { fail("\(error)") }
        writeChange(change, to: out)
        print("wrote \(out): change \(change.id.hex) for chain \(chain), epoch \(epoch)")
        for operation in change.operations { print("  \(describe(operation))") }
        print("next: each approving validator's operator runs")
        print("  ledger-node validators change approve \(out) --home HOME")
    }

    private func key(_ hex: String, _ what: String) -> PublicKey {
        do { return try PublicKey(hex: hex) } catch { fail("\(what) is not a valid public key: \(error)") }
    }
}
