import ArgumentParser
import Foundation
import LedgerCore
import Node

/// `ledger-node genesis …`: the coordinator's commands that assemble a genesis from the validators' hand-overs,
/// and the operators' commands that check it. Every check is `Genesis`'s or `GenesisDraft`'s (LedgerCore).
struct GenesisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genesis",
        abstract: "Assemble a network's genesis from the operators' hand-overs, and check it.",
        discussion: """
            The coordinator:
              ledger-node genesis new --out genesis.json --chain-id NAME
              ledger-node genesis add-validator genesis.json --from X.json
                (once per validator; X.json is its operator's validator.json)
              ledger-node genesis add-account genesis.json --address A --balance N
              ledger-node genesis finalize genesis.json   (prints the hash)
            Every operator, with the genesis.json they received:
              ledger-node genesis validate genesis.json   (prints the hash)
            and compares the hash with the coordinator's.

            Until finalize the file is a draft ("draft": true), which no node
            loads. Network addresses are outside the genesis hash: set-address
            moves a validator without making a new chain. See docs/network.md.
            """,
        subcommands: [
            GenesisNew.self, GenesisAddValidator.self, GenesisAddAccount.self, GenesisFinalize.self,
            GenesisValidate.self, GenesisShow.self, GenesisSetAddress.self,
        ])
}

/// A genesis file as found on disk: a draft still being assembled, or a finalized genesis.
enum GenesisDocument {
    /// `"draft": true`: being assembled.
    case draft(GenesisDraft)
    /// Finalized: loadable by a node.
    case final(Genesis)

    /// Reads `path` as either kind, or exits with what is wrong.
    static func load(_ path: String) -> GenesisDocument {
        do throws(GenesisError) {
            return .final(try Genesis.load(from: path))
        } catch .draftNotFinalized {
            return .draft(loadDraft(path))
        } catch {
            fail("\(path): \(error)")
        }
    }

    /// Reads the draft at `path`, or exits with what is wrong (a finalized genesis included).
    static func loadDraft(_ path: String) -> GenesisDraft {
        do { return try GenesisDraft.load(from: path) } catch { fail("\(path): \(error)") }
    }
}

/// Replaces `path` with `bytes` in one step (a temporary file renamed over it), so a crash or a full disk
/// never leaves half a genesis; mode 0644 (a genesis holds no secret).
func writeGenesisFile(_ bytes: [UInt8], to path: String) {
    let temporary = path + ".tmp-\(getpid())"
    do { try NodeFiles.write(Data(bytes), to: temporary, mode: 0o644) } catch { fail("\(error)") }
    if rename(temporary, path) != 0 {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        fail("cannot write \(path): \(reason)")
    }
}

/// "`count` thing(s)".
func counted(_ count: Int, _ thing: String) -> String { "\(count) \(thing)\(count == 1 ? "" : "s")" }

/// The line telling what a draft's validator set tolerates (`QuorumRule`), or how far it is from
/// one a network can run (at least `Limits.validatorsMin`).
func validatorCountAdvice(_ count: Int) -> String {
    guard count >= Limits.validatorsMin, let rule = QuorumRule(count) else {
        let missing = Limits.validatorsMin - count
        return "\(counted(count, "validator")): a network needs at least \(Limits.validatorsMin); add \(missing) more"
    }
    return "\(count) validators (f = \(rule.f): tolerates \(rule.f) faulty; quorum \(rule.quorum))"
}

/// Why a node could not run `genesis` (beyond what `Genesis` checks: the largest view-change message must fit
/// a P2P frame), or `nil`.
func runProblem(_ genesis: Genesis) -> String? {
    NodeHome.frameProblem(validators: genesis.validatorCount, window: genesis.consensus.window)
}
