import BenchSupport
import Foundation
import LedgerJSON
import NIOCore
import NIOHTTP1
import Wallet

/// Sending batches of `broadcast_tx_sync` calls and reading their answers.
extension LoadEngine {
    private static let callPrefix = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
    private static let callMiddle = Array(#","method":"broadcast_tx_sync","params":{"tx":""#.utf8)
    private static let callSuffix = Array(#""}}"#.utf8)
    private static let errorKey = Array(#""error""#.utf8)
    /// The node's "not now" refusals: the transfer is resent after the delay the node suggests.
    static let retryableReasons: Set<String> = ["busy", "nonce_gap", "sender_limit"]

    /// Sends queued transfers of `c` in batches of up to `BenchLimits.maxCallsPerBatch` while it has room in flight.
    func flush(_ c: SubmitConnection) {
        loop.preconditionInEventLoop()
        let t = now()
        if t < c.resumeAtNs {
            if !c.resumeScheduled {
                c.resumeScheduled = true
                loop.scheduleTask(in: .nanoseconds(Int64(c.resumeAtNs - t))) { [self] in
                    c.resumeScheduled = false
                    self.flush(c)
                }
            }
            return
        }
        while c.failure == nil, c.queued > 0, c.batchesInFlight < BenchLimits.maxBatchesInFlightPerConnection {
            let ks = Array(c.take(BenchLimits.maxCallsPerBatch))
            var body = c.channel.allocator.buffer(capacity: ks.count * 420 + 2)
            body.writeInteger(UInt8(ascii: "["))
            for (i, k) in ks.enumerated() {
                if i > 0 { body.writeInteger(UInt8(ascii: ",")) }
                body.writeBytes(Self.callPrefix)
                body.writeString(String(k))
                body.writeBytes(Self.callMiddle)
                transfers.withHex(k) { _ = body.writeBytes($0) }
                body.writeBytes(Self.callSuffix)
            }
            body.writeInteger(UInt8(ascii: "]"))
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/")
            let n = nodes[c.node]
            head.headers.add(name: "Host", value: "\(n.host):\(n.port)")
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: String(body.readableBytes))
            let promise = loop.makePromise(of: HTTPAnswer.self)
            for k in ks {
                sentTo[k] = Int8(c.node)
                tally.record(.pending, for: k)
            }
            c.batchesInFlight += 1
            sentCount += ks.count
            // A write that never reaches the call handler (the connection closed and its pipeline was taken down
            // in between) fails the call here; otherwise nothing would ever complete its promise.
            c.channel.writeAndFlush(HTTPCall(head: head, body: body, promise: promise, timeoutMs: BenchLimits.requestTimeoutMs))
                .whenFailure { promise.fail(HTTPCallFailure.closed(sawResponse: false, reason: "write failed: \($0)")) }
            promise.futureResult.whenComplete { [self] result in self.answered(c, ks, result) }
        }
    }

    /// Records the node's answer to one batch.
    private func answered(_ c: SubmitConnection, _ ks: [Int], _ result: Result<HTTPAnswer, any Error>) {
        loop.preconditionInEventLoop()
        c.batchesInFlight -= 1
        switch result {
        case let .success(answer):
            let at = now()
            for k in ks { answerNs[k] = at }
            // A plain byte scan: the generic `firstRange(of:)` on a ByteBufferView cost the load
            // generator more CPU than the rest of its answer handling.
            let hasError = answer.body.withUnsafeReadableBytes { raw in
                raw.withMemoryRebound(to: UInt8.self) { ByteSearch.find(Self.errorKey, in: $0, from: 0, to: $0.count) }
            } != nil
            if answer.status == 200 && !hasError {
                for k in ks { accept(k) }
            } else {
                readErrors(c, answer, ks)
            }
        case let .failure(error):
            for k in ks {
                tally.record(.unknown, for: k)
                unansweredCount += 1
                settled += 1
            }
            if c.failure == nil {
                let n = nodes[c.node]
                let reason = (error as? HTTPCallFailure).map { "\($0)" } ?? describe(error)
                c.failure = reason
                connectionFailures.append("node\(n.id) \(n.rpc): \(reason)")
                print("  ! connection to node\(n.id) (\(n.rpc)) failed: \(reason); its queued transfers are not sent")
                for _ in c.drainQueue() { settled += 1 }
                for k in c.drainRetry() { giveUp(k) }
                c.channel.close(promise: nil)
            }
        }
        flush(c)
    }

    private func accept(_ k: Int) {
        if !lastRefusal.isEmpty { lastRefusal[k] = nil }
        tally.record(.accepted, for: k)
        acceptedCount += 1
    }

    /// Records a "not now" refusal: `k` goes back on its connection and nothing more is sent there for the delay.
    private func refusedForNow(_ c: SubmitConnection, _ k: Int, reason: String, message: String, retryAfterMs: UInt64) {
        retriedReasons[reason, default: 0] += 1
        lastRefusal[k] = (reason, message)
        tally.record(.pending, for: k)
        c.requeue(k)
        let resume = now() &+ min(retryAfterMs, 5_000) * 1_000_000
        c.resumeAtNs = Swift.max(c.resumeAtNs, resume)
    }

    /// A transfer still refused as "not now" when the run stops resending: rejected with its last reason.
    func giveUp(_ k: Int) {
        let last = lastRefusal.removeValue(forKey: k) ?? ("busy", "refused as busy until the run ended")
        reject(k, reason: last.reason, message: last.message)
    }

    private func reject(_ k: Int, reason: String, message: String) {
        tally.record(.rejected, for: k)
        settled += 1
        rejectedReasons[reason, default: 0] += 1
        if rejectedSamples[reason] == nil { rejectedSamples[reason] = message }
    }

    /// A batch answer with errors: per-call errors by id, or one error for the whole request.
    private func readErrors(_ c: SubmitConnection, _ answer: HTTPAnswer, _ ks: [Int]) {
        let bytes = answer.body.getBytes(at: answer.body.readerIndex, length: answer.body.readableBytes) ?? []
        let json = try? JSONValue.parse(bytes)
        func reason(_ error: JSONValue) -> (String, String) {
            let message = error["message"]?.stringValue ?? "no message"
            let code = error["data"]?["reason"]?.stringValue ?? "code \(error["code"]?.description ?? "?")"
            return (code, message)
        }
        func refused(_ k: Int, _ error: JSONValue) {
            let (code, message) = reason(error)
            if Self.retryableReasons.contains(code) {
                let after = error["data"]?["retry_after_ms"]?.uint64Value ?? 100
                refusedForNow(c, k, reason: code, message: message, retryAfterMs: Swift.max(after, 20))
            } else {
                lastRefusal[k] = nil
                reject(k, reason: code, message: message)
            }
        }
        if let calls = json?.arrayValue {
            var byID: [Int: JSONValue] = [:]
            for call in calls { if case let .int(id)? = call["id"] { byID[id] = call } }
            for k in ks {
                if let error = byID[k]?["error"], case .object = error {
                    refused(k, error)
                } else if byID[k]?["result"] != nil {
                    accept(k)
                } else {
                    reject(k, reason: "no_answer_in_batch", message: "the batch answer has no entry for id \(k)")
                }
            }
        } else if let error = json?["error"], case .object = error {
            for k in ks { refused(k, error) }
        } else {
            let text = String(decoding: bytes.prefix(200), as: UTF8.self)
            for k in ks { reject(k, reason: "http_\(answer.status)", message: text) }
        }
    }
}
