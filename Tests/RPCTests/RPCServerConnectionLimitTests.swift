// Checks the HTTP server in-process on a free port: past the connection limit a new connection gets HTTP 503 with a JSON-RPC error and is closed, the held ones keep working, and a freed slot is reusable.
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
private final class RawHTTP {
    let fd: Int32

    init(port: Int) throws {
        fd = try connectLoopback(port: port, receiveTimeoutSeconds: 5)
    }

    deinit { close(fd) }

    /// Sends one POST and reads until the response body (content-length) is complete; nil on EOF before that.
    func post(_ body: String) -> String? {
        let request = "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)"
        let bytes = Array(request.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }  // the server may answer and stop reading early (413)
            offset += n
        }
        return readResponse()
    }

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
}

final class RPCServerConnectionLimitTests: XCTestCase {
    func testConnectionsBeyondTheLimitGetA503AndTheServerServesOn() async throws {
        let limit = 3
        let server = RPCServer(backend: FakeBackend(), host: "127.0.0.1", port: 0, maxConnections: limit,
                               logger: Logger(label: "test"))
        let bound = Mutex<Int>(0)
        let running = Task { try await server.run(onBound: { port in bound.withLock { $0 = port } }) }
        defer { running.cancel() }
        try await waitUntil("the server to bind its port") { bound.withLock { $0 } != 0 }
        let port = bound.withLock { $0 }

        let call = #"{"jsonrpc":"2.0","id":1,"method":"health"}"#
        var held: [RawHTTP] = []
        for _ in 0..<limit {
            let c = try RawHTTP(port: port)
            XCTAssertTrue(c.post(call)?.hasPrefix("HTTP/1.1 200") == true)
            held.append(c)
        }
        let extra = try RawHTTP(port: port)
        let refused = try XCTUnwrap(extra.readResponse())
        XCTAssertTrue(refused.hasPrefix("HTTP/1.1 503"), refused)
        XCTAssertTrue(refused.contains("\"too_many_connections\""), refused)
        XCTAssertTrue(refused.contains("-32029"), refused)
        // The held connections still work (keep-alive), and closing one frees a slot.
        XCTAssertTrue(held[1].post(call)?.contains("\"result\"") == true)
        held.removeFirst()
        try await waitUntil("a freed slot to be reusable (HTTP 200 on a new connection)", poll: .milliseconds(50)) {
            (try? RawHTTP(port: port))?.post(call)?.hasPrefix("HTTP/1.1 200") == true
        }

        // A body over the limit gets 413 with a JSON-RPC error (once the closed connections' slots are free).
        held.removeAll()
        var tooLarge: String?
        try await waitUntil("an answer other than 503 to an oversized body (the closed connections' slots freed)",
                            poll: .milliseconds(50)) {
            tooLarge = try RawHTTP(port: port).post(String(repeating: " ", count: RPCLimits.maxRequestBodyBytes + 1))
            return tooLarge?.hasPrefix("HTTP/1.1 503") != true
        }
        XCTAssertTrue(tooLarge?.hasPrefix("HTTP/1.1 413") == true, tooLarge ?? "no response")
        XCTAssertTrue(tooLarge?.contains("\"body_too_large\"") == true)
    }
}
