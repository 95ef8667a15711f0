import ArgumentParser
import Foundation
import LedgerCore
import LedgerCrypto
import LedgerJSON
import Wallet

/// `wallet transfer`: sign, submit, and (by default) wait for the commit.
struct TransferCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfer",
        abstract: "Send an amount: fetch the nonce, sign, submit, wait for the commit.",
        discussion: """
            Checks the balance first (no passphrase asked if it cannot pay). Submits with broadcast_tx_sync (a node \
            that answers "busy" or "nonce_gap" is asked again for up to 10 s, the same signed bytes each time, since \
            neither refusal admitted it), then polls the node until the transaction is in a block. On --timeout it \
            stops waiting and prints how to keep waiting (`wallet tx HASH`); an admitted transfer is never re-sent.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "Name of the sending key.") var from: String
    @Option(help: "Recipient: an ldg1… address or a key name.") var to: String
    @Option(help: "Amount (whole units, decimal digits).") var amount: String
    @Option(help: "A note stored with the transaction (UTF-8, at most 256 bytes).") var memo: String?
    @Option(help: "Use this nonce instead of the next one (advanced).") var nonce: String?
    @Flag(help: "Return right after the node admitted the transaction.") var noWait = false
    @Option(help: "Seconds to wait for the commit (default 30).") var timeout: String?

    /// What the command line names, checked offline (plain values only: see WalletNode.swift on async frames).
    struct Plan {
        var amount: UInt64
        var waitSeconds: Double
        var explicitNonce: UInt64?
        var memo: [UInt8]
        var keyName: KeyName
        var sender: String
        var recipient: String
    }

    func makePlan() throws -> Plan {
        let amount = try InputParsing.amount(amount)
        let waitSeconds = try timeout.map { t throws(WalletError) in try InputParsing.seconds(t) } ?? WalletLimits.commitWaitDefaultSeconds
        let explicitNonce = try nonce.map { n throws(WalletError) in try InputParsing.uint64(n, what: "nonce") }
        let memoBytes = Array((memo ?? "").utf8)
        guard memoBytes.count <= Limits.memoMaxBytes else {
            throw WalletError.memoTooLong(bytes: memoBytes.count, maximum: Limits.memoMaxBytes)
        }
        let keystore = global.makeKeystore()
        let name = try keyName(from)
        let sender: String
        do { sender = try keystore.load(name).address.string } catch { throw WalletError.keystore(error) }
        let recipient = try InputParsing.accountAddress(to, keystore: keystore)
        guard recipient != sender else { throw WalletError.usage("sender and recipient are the same account (\(sender))") }
        return Plan(
            amount: amount, waitSeconds: waitSeconds, explicitNonce: explicitNonce, memo: memoBytes, keyName: name,
            sender: sender, recipient: recipient)
    }

    func sign(_ plan: Plan, chainID: String, nonce: UInt64) throws -> SignedTransfer {
        let pass = try global.passphrase(for: plan.keyName.value)
        let keystore = global.makeKeystore()
        do {
            return try SignedTransfer.make(
                keyFile: try keystore.load(plan.keyName), path: keystore.path(for: plan.keyName), passphrase: pass, chainID: chainID, recipient: plan.recipient,
                amount: plan.amount, nonce: nonce, memo: plan.memo)
        } catch let e as KeystoreError {
            throw WalletError.keystore(e)
        }
    }

    func run() async throws {
        // Everything that can be checked offline first.
        let plan = try makePlan()
        let node = try global.makeNode()
        let status = try await node.status()
        guard let chainID = status["chain_id"]?.stringValue else { throw WalletError.badAnswer("status has no chain_id") }
        let startHeight = status["height"]?.uint64Value ?? 0
        let account = try await node.account(plan.sender)
        guard account.balance >= plan.amount else {
            throw WalletError.insufficientFunds(address: plan.sender, balance: account.balance, amount: plan.amount)
        }
        let useNonce: UInt64
        if let n = plan.explicitNonce { useNonce = n } else { useNonce = await nextNonce(node: node, account: account) }

        let transfer = try sign(plan, chainID: chainID, nonce: useNonce)
        let hash = try await node.broadcast(transfer)
        var result: JSONValue = .object([
            ("hash", .string(hash)), ("from", .string(plan.sender)), ("to", .string(plan.recipient)),
            ("amount", .decimal(plan.amount)), ("nonce", .decimal(useNonce)), ("node", .string(node.url)),
        ])
        if noWait {
            result = result.setting("status", .string("pending"))
            Output.emit(global.json, json: result, text: """
                submitted \(hash)
                status:   pending (not waiting; follow it with `wallet tx \(hash)`)
                """)
            return
        }
        if !global.json, Terminal.stderrIsTerminal { Terminal.writeError("submitted \(hash)\n") }
        let showProgress = Terminal.stderrIsTerminal
        let outcome = try await CommitWaiter(node: node).wait(for: hash, startHeight: startHeight, timeoutSeconds: plan.waitSeconds) {
            elapsed, status in
            if showProgress {
                Terminal.writeError("\r\u{1B}[2Kwaiting for commit… \(String(format: "%.1f", elapsed)) s (\(status))")
            }
        }
        if showProgress { Terminal.writeError("\r\u{1B}[2K") }
        result = result.setting("status", .string(outcome.status))
        result = result.setting("height", outcome.height.map { .decimal($0) } ?? .null)
        if let index = outcome.index { result = result.setting("index", .int(index)) }
        if let reason = outcome.reason { result = result.setting("reason", .string(reason)) }
        let heightText = outcome.height.map(String.init) ?? "?"
        Output.emit(global.json, json: result, text: """
            hash:   \(hash)
            height: \(heightText)
            status: \(outcome.status)\(outcome.reason.map { " (\($0))" } ?? "")
            """)
        if outcome.status == "failed" {
            // Already printed; the exit code says it failed. The message goes to stderr only.
            Terminal.writeError("error: " + WalletError.transactionFailed(
                hash: hash, height: outcome.height ?? 0, reason: outcome.reason ?? "unknown").description + "\n")
            throw ExitCode(WalletExitCode.rejected)
        }
    }

    /// The account's next nonce, stepping over this sender's transactions still in the node's mempool
    /// (so two quick `--no-wait` transfers do not collide). Falls back to the committed nonce.
    private func nextNonce(node: WalletNode, account: AccountInfo) async -> UInt64 {
        guard let pending = try? await node.call("unconfirmed_txs", .object([("limit", .int(100))])),
            let txs = pending["txs"]?.arrayValue
        else { return account.nonce }
        var mine = Set<UInt64>()
        for tx in txs where tx["from"]?.stringValue == account.address {
            if let n = tx["nonce"]?.uint64Value { mine.insert(n) }
        }
        var next = account.nonce
        while mine.contains(next), next < UInt64.max { next += 1 }
        return next
    }
}
