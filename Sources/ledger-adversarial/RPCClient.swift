import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What went wrong talking to a node.
enum RPCFailure: Error, CustomStringConvertible {
    /// No answer (connection refused, timeout, process stopped).
    case unreachable(String)
    /// The node answered with a JSON-RPC error.
    case error(code: Int, message: String)
    /// The answer was not JSON-RPC.
    case malformed(String)

    var description: String {
        switch self {
        case let .unreachable(s): "unreachable: \(s)"
        case let .error(code, message): "error \(code): \(message)"
        case let .malformed(s): "malformed answer: \(s)"
        }
    }

    /// `true` when the node does not implement the method (-32601).
    var isMethodMissing: Bool { if case .error(-32601, _) = self { true } else { false } }
}

/// A minimal JSON-RPC 2.0 client over HTTP POST (one URLSession, short timeouts).
struct RPCClient: Sendable {
    let url: URL
    let session: URLSession

    init(port: Int, session: URLSession) {
        url = URL(string: "http://127.0.0.1:\(port)/")!
        self.session = session
    }

    /// Calls `method` with `params` (a JSON object) and returns `result`.
    func call(_ method: String, _ params: [String: Any] = [:], timeout: TimeInterval = 3) async throws(RPCFailure) -> Any {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = timeout
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        let body: [String: Any] = ["jsonrpc": "2.0", "id": 1, "method": method, "params": params]
        guard let data = try? JSONSerialization.data(withJSONObject: body) else { throw .malformed("cannot encode params") }
        request.httpBody = data
        return try await send(request)
    }

    /// Posts raw bytes (the fuzzer) and returns the HTTP status, or `nil` when nothing came back.
    func postRaw(_ body: Data, timeout: TimeInterval = 3) async -> Int? {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.timeoutInterval = timeout
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        request.httpBody = body
        guard let (_, response) = try? await session.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    private func send(_ request: URLRequest) async throws(RPCFailure) -> Any {
        let data: Data
        do { (data, _) = try await session.data(for: request) } catch { throw .unreachable("\(error)") }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .malformed(String(decoding: data.prefix(200), as: UTF8.self))
        }
        if let error = json["error"] as? [String: Any] {
            throw .error(code: error["code"] as? Int ?? 0, message: error["message"] as? String ?? "")
        }
        guard let result = json["result"] else { throw .malformed("no result") }
        return result
    }

    /// `result` as an object.
    func object(_ method: String, _ params: [String: Any] = [:], timeout: TimeInterval = 3) async throws(RPCFailure) -> [String: Any] {
        guard let o = try await call(method, params, timeout: timeout) as? [String: Any] else { throw .malformed("\(method): not an object") }
        return o
    }
}

/// Reads a decimal-string (or number) JSON field as UInt64.
func u64(_ value: Any?) -> UInt64? {
    if let s = value as? String { return UInt64(s) }
    if let n = value as? Int, n >= 0 { return UInt64(n) }
    if let n = value as? NSNumber { return n.uint64Value }
    return nil
}
