import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerCore
import LedgerCrypto

/// `ledger-node load`: a testing tool that sends signed transfers from a funded key to a node's RPC.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Testing tool: send COUNT transfers from a funded key (e.g. a testnet's faucet.key) to a node's JSON-RPC.",
        discussion: "Transfers are sent one after another with consecutive nonces (read from the node first), so they commit in order.")

    @Option(help: "The node's RPC URL, e.g. http://127.0.0.1:26700") var rpc: String
    @Option(name: .customLong("key-file"), help: "File holding the sender's 32-byte seed as hex (faucet.key).") var keyFile: String
    @Option(help: "How many transfers to send.") var count: Int = 100
    @Option(name: .customLong("chain-id"), help: "The chain id (default: ask the node).") var chainID: String?

    func run() async throws {
        guard let url = URL(string: rpc) else { fail("--rpc \(rpc) is not a URL") }
        let text = (try? String(contentsOfFile: keyFile, encoding: .utf8)) ?? ""
        guard let seed = Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), let key = try? SigningKey(seed: seed) else {
            fail("\(keyFile) does not hold a 64-hex-character seed")
        }
        let client = RPCClient(url: url)
        let chain: String
        if let chainID { chain = chainID } else {
            guard let c = try await client.call("status", "{}")["chain_id"] as? String else { fail("status did not answer a chain_id") }
            chain = c
        }
        let sender = Address(publicKey: key.publicKey)
        let account = try await client.call("account", "{\"address\":\"\(sender)\"}")
        var nonce = UInt64(account["nonce"] as? String ?? "0") ?? 0
        let started = ContinuousClock.now
        var refused = 0
        for _ in 0..<count {
            let recipient = Address(publicKey: SigningKey.generate().publicKey)
            let tx = try Transaction.signed(chainID: chain, sender: key, recipient: recipient, amount: 1, nonce: nonce)
            do {
                _ = try await client.call("broadcast_tx_sync", "{\"tx\":\"\(Hex.encode(tx.encoded()))\"}")
                nonce += 1
            } catch {
                refused += 1
                if refused > 20 { fail("too many refusals; last: \(error)") }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("sent \(count - refused) transfers in \(String(format: "%.2f", seconds)) s (\(String(format: "%.0f", Double(count - refused) / max(seconds, 0.001))) tx/s); next nonce \(nonce)")
    }
}

/// A minimal JSON-RPC client for the testing tools.
struct RPCClient {
    let url: URL

    struct CallError: Error, CustomStringConvertible {
        let description: String
    }

    func call(_ method: String, _ params: String) async throws -> [String: Any] {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        request.httpBody = Data("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\(method)\",\"params\":\(params)}".utf8)
        let (data, _) = try await URLSession.shared.data(for: request)
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CallError(description: "not a JSON object")
        }
        if let error = json["error"] as? [String: Any] { throw CallError(description: "\(error["message"] ?? error)") }
        return json["result"] as? [String: Any] ?? [:]
    }
}
