// Test support: a tiny blocking HTTP/1.1 server on 127.0.0.1 (POSIX sockets, one thread per connection) with scripted replies.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the scripted server does with one request.
enum ScriptedReply: Sendable {
    /// Answer with `status` and `body`; close afterwards unless `keepAlive`.
    case respond(status: Int, body: String, keepAlive: Bool)
    /// Close the connection without answering.
    case close
    /// Never answer; wait until the client closes the connection (the client's deadline must fire).
    case stall
    /// Send the head and the first `bytes` bytes of a `body` the head announces in full, then close.
    case truncated(body: String, bytes: Int)
    /// Send the head and `body` one byte every `intervalMs` (a client must not wait for it past its deadline).
    case drip(body: String, intervalMs: Int)
    /// Shut down the sending side (half-close) without answering, then wait for the client to close.
    case halfClose
    /// Reset the connection (RST) without answering.
    case reset
    /// Write these bytes as they are (not HTTP), then close.
    case raw(String)
}

/// A local HTTP server whose replies are decided by `script(requestBody)`.
final class TestHTTPServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let script: @Sendable (String) -> ScriptedReply
    private let lock = NSLock()
    private var accepted_ = 0
    private var requests_: [String] = []
    private var stopped = false

    var accepted: Int { lock.lock(); defer { lock.unlock() }; return accepted_ }
    var requests: [String] { lock.lock(); defer { lock.unlock() }; return requests_ }
    var url: String { "http://127.0.0.1:\(port)/" }

    init(script: @escaping @Sendable (String) -> ScriptedReply) throws {
        self.script = script
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 16) == 0 }
        }
        guard ok else { close(fd); throw NSError(domain: "TestHTTPServer", code: Int(errno)) }
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let c = accept(listener, nil, nil)
            if c < 0 { return }
            lock.lock(); accepted_ += 1; let done = stopped; lock.unlock()
            if done { close(c); return }
            let t = Thread { [self] in serve(c) }
            t.start()
        }
    }

    private func serve(_ fd: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { close(fd) }
        while true {
            // Read one request: head up to CRLFCRLF, then Content-Length bytes.
            var headEnd: Int?
            while headEnd == nil {
                if let r = findHeadEnd(buffer) { headEnd = r; break }
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
            var length = 0
            for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
            let bodyStart = headEnd! + 4
            while buffer.count < bodyStart + length {
                let n = read(fd, &chunk, chunk.count)
                if n <= 0 { return }
                buffer += chunk[0..<n]
            }
            let body = String(decoding: buffer[bodyStart..<(bodyStart + length)], as: UTF8.self)
            buffer.removeFirst(bodyStart + length)
            lock.lock(); requests_.append(body); lock.unlock()
            switch script(body) {
            case .close:
                return
            case .stall:
                waitForClientClose(fd)
                return
            case let .truncated(text, bytes):
                let body = Array(text.utf8)
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
                writeAll(fd, Array(head.utf8) + body.prefix(bytes))
                return
            case let .drip(text, intervalMs):
                let body = Array(text.utf8)
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n"
                guard writeAll(fd, Array(head.utf8)) else { return }
                for byte in body {
                    // The pause between bytes is the behaviour under test (a slow-drip server), not a wait.
                    usleep(useconds_t(intervalMs * 1000))
                    guard writeAll(fd, [byte]) else { return }
                }
                return
            case .halfClose:
                shutdown(fd, Int32(SHUT_WR))
                waitForClientClose(fd)
                return
            case .reset:
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                return
            case let .raw(text):
                writeAll(fd, Array(text.utf8))
                return
            case let .respond(status, text, keepAlive):
                let bytes = Array(text.utf8)
                let response = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(bytes.count)\r\n"
                    + (keepAlive ? "" : "Connection: close\r\n") + "\r\n"
                writeAll(fd, Array(response.utf8) + bytes)
                if !keepAlive { return }
            }
        }
    }

    /// Writes all of `bytes`; `false` when the client has gone.
    @discardableResult
    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Blocks until the client closes its side (or the connection breaks); whatever it sends is discarded.
    /// Every client under test has a deadline, so this ends when the client gives up.
    private func waitForClientClose(_ fd: Int32) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while read(fd, &chunk, chunk.count) > 0 {}
    }

    private func findHeadEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i }
        return nil
    }
}

/// The `id` of a JSON-RPC request body (for echoing it back).
func requestID(_ body: String) -> String {
    guard let r = body.range(of: "\"id\":") else { return "null" }
    return String(body[r.upperBound...].prefix { $0.isNumber })
}
