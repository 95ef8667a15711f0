// Test helper: one blocking keep-alive HTTP/1.1 connection over a raw loopback socket, for tests that need
// what a well-behaved client never does (trickle a head, stall a body, send a hostile Host or Origin).
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import RPC
import Synchronization
import TestSupport
import XCTest

/// A blocking TCP client for one keep-alive HTTP/1.1 connection.
final class RawHTTP {
    let fd: Int32

    /// Connects to 127.0.0.1:`port`, from `source` when given (e.g. "127.0.0.2"); reads give up after
    /// `receiveTimeoutSeconds`.
    init(port: Int, source: String? = nil, receiveTimeoutSeconds: Int = 5) throws {
        fd = try connectLoopback(port: port, receiveTimeoutSeconds: receiveTimeoutSeconds, sourceAddress: source)
    }

    deinit { close(fd) }

    /// The request text of a JSON-RPC POST of `body` with these extra header lines.
    static func postText(_ body: String, host: String = "127.0.0.1", headers: [String] = []) -> String {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return "POST / HTTP/1.1\r\nhost: \(host)\r\ncontent-type: application/json\r\n\(extra)content-length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// The request text of a WebSocket upgrade to `/websocket`, with an `Origin` header when given.
    static func webSocketUpgradeText(host: String = "127.0.0.1", origin: String? = nil) -> String {
        "GET /websocket HTTP/1.1\r\nhost: \(host)\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
            + "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n"
            + (origin.map { "origin: \($0)\r\n" } ?? "") + "\r\n"
    }

    /// Reads up to the end of a response head (for answers with no body to wait for: 101, 204, or a head alone).
    func readHead() -> String? {
        var data: [UInt8] = []
        var byte: UInt8 = 0
        while !String(decoding: data, as: UTF8.self).hasSuffix("\r\n\r\n") {
            guard recv(fd, &byte, 1, 0) == 1 else { return data.isEmpty ? nil : String(decoding: data, as: UTF8.self) }
            data.append(byte)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Sends one POST and reads until the response body (content-length) is complete; nil on EOF before that.
    func post(_ body: String, host: String = "127.0.0.1", headers: [String] = []) -> String? {
        send(Self.postText(body, host: host, headers: headers))
        return readResponse()
    }

    /// Writes `text` (as much as the server takes: it may answer and stop reading early, e.g. 413).
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Reads one response (head and content-length body); what arrived before EOF or the receive timeout, or nil.
    func readResponse() -> String? {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: data, as: UTF8.self)
            if let split = text.range(of: "\r\n\r\n") {
                let head = text[..<split.lowerBound].lowercased()
                if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                   let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)),
                   text[split.upperBound...].utf8.count >= length {
                    return text
                }
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return data.isEmpty ? nil : String(decoding: data, as: UTF8.self) }
            data += chunk[0..<n]
        }
    }

    /// Whether something (bytes or end-of-file) is waiting to be read right now; does not block.
    var isReadable: Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 1 && entry.revents & Int16(POLLIN | POLLHUP) != 0
    }

    /// Whether the server closed the connection: a read returns end-of-file (0) or a reset before the receive
    /// timeout; `false` when the read timed out with the connection still open.
    func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        while true {
            let n = recv(fd, &byte, 1, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }
}

/// A server on a free loopback port for one test; `port` is bound when `start` returns. Cancelled by `stop()`.
final class RunningServer {
    let port: Int
    let metrics: RPCMetrics
    private let task: Task<Void, any Error>

    private init(port: Int, metrics: RPCMetrics, task: Task<Void, any Error>) {
        self.port = port
        self.metrics = metrics
        self.task = task
    }

    /// Starts a server over `backend` with `configuration`, logging to `logger`, and waits (bounded) until it listens.
    static func start(backend: any RPCBackend = FakeBackend(), configuration: RPCServerConfiguration = RPCServerConfiguration(),
                      logger: Logger = Logger(label: "test"),
                      file: StaticString = #filePath, line: UInt = #line) async throws -> RunningServer {
        let metrics = RPCMetrics()
        let server = RPCServer(backend: backend, host: "127.0.0.1", port: 0, metrics: metrics, configuration: configuration,
                               logger: logger)
        let bound = Mutex<Int>(0)
        let task = Task { try await server.run(onBound: { port in bound.withLock { $0 = port } }) }
        do {
            try await waitUntil("the server to bind its port", file: file, line: line) { bound.withLock { $0 } != 0 }
        } catch {
            task.cancel()
            throw error
        }
        return RunningServer(port: bound.withLock { $0 }, metrics: metrics, task: task)
    }

    /// Stops the server.
    func stop() { task.cancel() }

    /// The Prometheus text of the server's metrics.
    var metricsText: String { String(decoding: metrics.render(), as: UTF8.self) }
}
