import BenchSupport
import Foundation
import NIOCore
import NIOHTTP1
import Wallet

/// Sending batches of `broadcast_tx_sync` calls and reading their answers.
extension LoadEngine {
    private static let callPrefix = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
    private static let callMiddle = Array(#","method":"broadcast_tx_sync","params":{"tx":""#.utf8)
    private static let callSuffix = Array(#""}}"#.utf8)
    private static let errorKey = Array(#""error""#.utf8)

    /// Sends queued transfers of `c` in batches of up to `BenchLimits.maxCallsPerBatch` while it has room in flight.
    func flush(_ c: SubmitConnection) {
        loop.preconditionInEventLoop()
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
            let at = now()
            for k in ks {
                submitNs[k] = at
                sentTo[k] = Int8(c.node)
                tally.record(.pending, for: k)
            }
            c.batchesInFlight += 1
            sentCount += ks.count
            c.channel.writeAndFlush(HTTPCall(head: head, body: body, promise: promise, timeoutMs: BenchLimits.requestTimeoutMs),
                                    promise: nil)
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
                readErrors(answer, ks)
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
                c.channel.close(promise: nil)
            }
        }
        flush(c)
    }

    private func accept(_ k: Int) {
        tally.record(.accepted, for: k)
        acceptedCount += 1
    }

    private func reject(_ k: Int, reason: String, message: String) {
        tally.record(.rejected, for: k)
        settled += 1
        rejectedReasons[reason, default: 0] += 1
        if rejectedSamples[reason] == nil { rejectedSamples[reason] = message }
    }

    /// A batch answer with errors: per-call errors by id, or one error for the whole request.
    private func readErrors(_ answer: HTTPAnswer, _ ks: [Int]) {
        let bytes = answer.body.getBytes(at: answer.body.readerIndex, length: answer.body.readableBytes) ?? []
        let json = try? JSONSerialization.jsonObject(with: Data(bytes))
        func reason(_ error: [String: Any]) -> (String, String) {
            let message = error["message"] as? String ?? "no message"
            let code = (error["data"] as? [String: Any])?["reason"] as? String ?? "code \(error["code"] ?? "?")"
            return (code, message)
        }
        if let calls = json as? [[String: Any]] {
            var byID: [Int: [String: Any]] = [:]
            for call in calls { if let id = call["id"] as? Int { byID[id] = call } }
            for k in ks {
                if let error = byID[k]?["error"] as? [String: Any] {
                    let (code, message) = reason(error)
                    reject(k, reason: code, message: message)
                } else if byID[k]?["result"] != nil {
                    accept(k)
                } else {
                    reject(k, reason: "no_answer_in_batch", message: "the batch answer has no entry for id \(k)")
                }
            }
        } else if let one = json as? [String: Any], let error = one["error"] as? [String: Any] {
            let (code, message) = reason(error)
            for k in ks { reject(k, reason: code, message: message) }
        } else {
            let text = String(decoding: bytes.prefix(200), as: UTF8.self)
            for k in ks { reject(k, reason: "http_\(answer.status)", message: text) }
        }
    }
}
