import Foundation
import LedgerJSON
import Wallet

// The runner talks to its nodes through the project's one JSON-RPC client (Wallet.RPCClient); these are the
// shapes of call it makes, with per-call deadlines in seconds.

extension RPCClient {
    /// A client for the node whose RPC listens on 127.0.0.1:`port`.
    init(port: Int) {
        // A literal loopback URL always parses.
        try! self.init(url: "http://127.0.0.1:\(port)/")
    }

    /// Calls `method` with string `params` (by name) and returns its `result`.
    @discardableResult
    func call(_ method: String, _ params: [String: String], timeout: Double) async throws(RPCClientError) -> JSONValue {
        try await call(method, .object(params.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }), timeoutMs: Int64(timeout * 1_000))
    }

    /// Calls `method` with string `params` (by name) and returns its `result`, which must be an object.
    func object(_ method: String, _ params: [String: String] = [:], timeout: Double = 3) async throws(RPCClientError) -> JSONValue {
        let result = try await call(method, params, timeout: timeout)
        guard case .object = result else {
            throw .invalidResponse(url: endpoint.url, reason: "\(method): the result is not an object")
        }
        return result
    }

    /// The values of the unlabelled series `names` on the node's `/metrics` (one scrape), or `nil`
    /// when the node does not answer in time; series it lacks are missing from the result.
    func metrics(_ names: Set<String>, timeout: Double = 3) async -> [String: Double]? {
        guard let answer = try? await get(path: "/metrics", timeoutMs: Int64(timeout * 1_000)), answer.status == 200 else { return nil }
        var values: [String: Double] = [:]
        for line in String(decoding: answer.body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, names.contains(String(parts[0])), let value = Double(parts[1]) else { continue }
            values[String(parts[0])] = value
        }
        return values
    }

    /// The value of the unlabelled series `name` on the node's `/metrics`, or `nil` (no answer, no such series).
    func metric(_ name: String, timeout: Double = 3) async -> Double? {
        await metrics([name], timeout: timeout)?[name]
    }

    /// Posts raw bytes (the fuzzer) and returns the HTTP status, or `nil` when nothing came back in time.
    func postRaw(_ body: [UInt8], timeout: Double = 3) async -> Int? {
        try? await post(raw: body, timeoutMs: Int64(timeout * 1_000)).status
    }
}

extension RPCClientError {
    /// `true` when the node does not implement the method (-32601).
    var isMethodMissing: Bool {
        if case let .server(e, _) = self { e.code == RPCServerError.methodNotFound } else { false }
    }

    /// `true` when the node answered that the object does not exist (-32004), e.g. a height it has not reached.
    var isNotFound: Bool {
        if case let .server(e, _) = self { e.code == RPCServerError.notFound } else { false }
    }
}
