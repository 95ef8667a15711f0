import ArgumentParser
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
import Wallet

/// `ledger-node validators change submit`: hands an approved change to a validator's JSON-RPC and waits until the
/// chain has accepted it (the `validators` RPC shows it pending with its boundary).
struct ValidatorChangeSubmit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit an approved change to a validator and wait until the chain accepts it.",
        discussion: """
            The node checks the change with the chain's rule first (approvals
            from a quorum of the current set, the epoch, nothing pending) and
            refuses it with the reason; accepted, it goes to every validator
            and into the next block. The command then waits (--wait-seconds)
            until the node's 'validators' RPC shows it pending, and prints the
            last block of the current epoch: the new set orders every block
            after it. This version takes changes only on a test network: it
            cannot switch sets at the boundary yet, so the chain stops there.
            """)

    @Argument(help: "The approved change file.") var file: String
    @Option(help: "A validator's JSON-RPC URL, e.g. http://127.0.0.1:26700.") var rpc: String
    @Option(name: .customLong("wait-seconds"), help: "How long to wait for the chain to accept it (1...600).") var waitSeconds: Int = 30

    func run() async throws {
        guard (1...600).contains(waitSeconds) else { fail("--wait-seconds must be 1...600") }
        let change = loadChange(file)
        let client: RPCClient
        do { client = try RPCClient(url: rpc, configuration: .init(requestTimeoutMs: 10_000)) } catch { fail("--rpc: \(error)") }
        do {
            _ = try await client.call("broadcast_change", .object([("change", .string(Hex.encode(change.encoded())))]))
        } catch {
            fail("the node refused the change: \(error)")
        }
        print("submitted change \(change.id.hex) to \(rpc); waiting up to \(waitSeconds) s for a block to accept it")
        let deadline = ContinuousClock.now + .seconds(waitSeconds)
        while ContinuousClock.now < deadline {
            if let answer = try? await client.call("validators") {
                if let pending = answer["pending_change"], pending["change_id"]?.stringValue == change.id.hex {
                    let committed = pending["committed_at"]?.stringValue ?? "?"
                    let last = pending["last_height_of_epoch"]?.stringValue ?? "?"
                    let next = pending["next_validators"]?.arrayValue?.count ?? 0
                    print("accepted in block \(committed): epoch \(change.epoch) ends with block \(last); \(next) validators order the blocks after it")
                    return
                }
                if let epoch = answer["epoch"]?.stringValue.flatMap(UInt64.init), epoch > change.epoch {
                    print("the chain is in epoch \(epoch) already: the change (or another) has taken effect")
                    return
                }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        fail("no block accepted the change within \(waitSeconds) s (it may still be ordered; or a block refused it, see the node's log); ask 'validators' later")
    }
}
