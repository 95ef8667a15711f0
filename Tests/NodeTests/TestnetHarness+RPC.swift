// Test support: raw HTTP and WebSocket clients over POSIX sockets (for hostile bodies, slow readers and subscriptions) against a testnet node's RPC port.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import XCTest

extension TestnetHarness {
    var rpcPorts: [Int] { (0..<count).map { basePort + 100 + $0 } }

    /// POSTs `body` raw to node `i` and returns (HTTP status, body bytes).
    func post(_ i: Int, body: [UInt8], timeout: Double = 10) async throws -> (status: Int, body: [UInt8]) {
        var request = URLRequest(url: rpcURL(i))
        request.httpMethod = "POST"
        request.timeoutInterval = timeout
        request.setValue("application/json", forHTTPHeaderField: "content-type")
        request.httpBody = Data(body)
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, [UInt8](data))
    }

    /// GETs `path` from node `i`.
    func get(_ i: Int, _ path: String) async throws -> (status: Int, body: String) {
        let url = URL(string: "http://127.0.0.1:\(basePort + 100 + i)\(path)")!
        var request = URLRequest(url: url)
        request.timeoutInterval = 5
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// A JSON-RPC call returning the whole response object.
    func rpc(_ i: Int, _ method: String, _ params: String = "{}") async throws -> [String: Any] {
        try await call(i, method, params)
    }

    /// The result object of a call, failing the test on an error response.
    func result(_ i: Int, _ method: String, _ params: String = "{}", file: StaticString = #filePath, line: UInt = #line)
        async throws -> [String: Any]
    {
        let r = try await call(i, method, params)
        return try XCTUnwrap(r["result"] as? [String: Any], "\(method) failed: \(r)", file: file, line: line)
    }
}

/// A minimal blocking WebSocket client (RFC 6455) on a POSIX socket: enough to subscribe and read notifications,
/// and to play a client that stops reading.
final class RawWebSocket: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port` and upgrades on `path`. `receiveBufferBytes` shrinks SO_RCVBUF (a slow reader).
    /// `source`: the loopback address to connect from (tests opening more connections than the per-address cap).
    init(port: Int, path: String = "/websocket", receiveBufferBytes: Int32? = nil, source: String? = nil) throws {
        // connectLoopback closes its own socket when it fails. Once `fd` is set, no close(fd) before the throws
        // below: a throw then runs deinit, which closes it; closing here too would close whatever descriptor another
        // thread opened under the same number meanwhile.
        fd = try connectLoopback(port: port, receiveTimeoutSeconds: 15, receiveBufferBytes: receiveBufferBytes,
                                 sourceAddress: source)
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try writeAll(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        let head = try readHTTPHead()
        guard head.hasPrefix("HTTP/1.1 101") else { throw HarnessError.rpc("upgrade refused: \(head)") }
    }

    deinit { close(fd) }

    /// Shuts the socket down (unblocks a reader on another thread).
    func shutdownSocket() { shutdown(fd, Int32(SHUT_RDWR)) }

    private func writeAll(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HarnessError.rpc("send failed") }
            offset += n
        }
    }

    /// Reads more bytes into the buffer; false on EOF/error/timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    private func readHTTPHead() throws -> String {
        let end: [UInt8] = [13, 10, 13, 10]
        while true {
            if let r = buffer.indices.dropLast(3).first(where: { Array(buffer[$0..<$0 + 4]) == end }) {
                let head = String(decoding: buffer[0..<r], as: UTF8.self)
                buffer.removeFirst(r + 4)
                return head
            }
            guard fill() else { throw HarnessError.rpc("no HTTP response") }
        }
    }

    /// Sends `text` as one masked text frame.
    func send(_ text: String) throws {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count < 65536 {
            frame.append(0x80 | 126)
            frame += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try writeAll(frame)
    }

    /// The next complete text message, or `nil` on close/EOF/timeout (15 s).
    func receive() -> String? {
        var message: [UInt8] = []
        while true {
            while buffer.count < 2 { guard fill() else { return nil } }
            let opcode = buffer[0] & 0x0F
            let fin = buffer[0] & 0x80 != 0
            var length = Int(buffer[1] & 0x7F)
            var headerLength = 2
            if length == 126 {
                while buffer.count < 4 { guard fill() else { return nil } }
                length = Int(buffer[2]) << 8 | Int(buffer[3])
                headerLength = 4
            } else if length == 127 {
                while buffer.count < 10 { guard fill() else { return nil } }
                length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
                headerLength = 10
            }
            while buffer.count < headerLength + length { guard fill() else { return nil } }
            let payload = Array(buffer[headerLength..<headerLength + length])
            buffer.removeFirst(headerLength + length)
            switch opcode {
            case 0x8: return nil  // close
            case 0x9: continue  // ping: the server tolerates a missing pong within the test's time
            case 0xA: continue
            default: message += payload
            }
            if fin { return String(decoding: message, as: UTF8.self) }
        }
    }

    /// The next message as a JSON object.
    func receiveObject() -> [String: Any]? {
        guard let text = receive() else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    /// Reads everything until the server closes the connection (`closed` true) or nothing comes for 15 s.
    func drainUntilClosed() -> (text: String, closed: Bool) {
        var all = buffer
        buffer.removeAll()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (String(decoding: all, as: UTF8.self), true) }
            if n < 0 { return (String(decoding: all, as: UTF8.self), errno == ECONNRESET) }
            all.append(contentsOf: chunk[0..<n])
        }
    }
}

extension TestnetHarness {
    /// Waits until every node in `nodes` shows the same pending change; returns its boundary (the epoch's last block).
    func pendingBoundary(nodes: [Int], file: StaticString = #filePath, line: UInt = #line) async throws -> UInt64 {
        var boundary: UInt64 = 0
        try await waitUntil("nodes \(nodes) show the pending change", seconds: 30, file: file, line: line) {
            var ends: Set<String> = []
            for i in nodes {
                guard let result = try? await call(i, "validators")["result"] as? [String: Any],
                      let pending = result["pending_change"] as? [String: Any], let end = pending["last_height_of_epoch"] as? String
                else { return false }
                ends.insert(end)
            }
            guard ends.count == 1, let end = ends.first.flatMap(UInt64.init) else { return false }
            boundary = end
            return true
        }
        XCTAssertEqual(boundary % 10, 0, "the boundary is a checkpoint", file: file, line: line)
        return boundary
    }
}
