import Adversary
import Foundation
import LedgerCore
import LedgerCrypto
import Wallet

/// Bounded, seeded fuzzing of a running node's entry points: raw and mutated P2P handshake
/// frames on its p2p port (before authentication), mutated JSON-RPC bodies, and mutated signed
/// transactions through `broadcast_tx_sync`. The node must stay up and answering, and accept no
/// mutated transaction; what it did is returned as findings (empty = nothing wrong).
// A class, not a struct with `mutating async` methods: those crashed the runner with "freed pointer
// was not the last allocation" (task allocator) on this toolchain. @unchecked: used by one task at a time.
final class Fuzzer: @unchecked Sendable {
    let genesis: Genesis
    let p2pPort: Int
    let rpc: RPCClient
    let faucet: SigningKey
    var random: AdversaryRandom

    init(genesis: Genesis, p2pPort: Int, rpc: RPCClient, faucet: SigningKey, random: AdversaryRandom) {
        self.genesis = genesis; self.p2pPort = p2pPort; self.rpc = rpc; self.faucet = faucet; self.random = random
    }

    /// Sends `count` hostile connections to the p2p port. Returns how many the node accepted.
    func fuzzP2P(count: Int) async -> Int {
        var accepted = 0
        for _ in 0..<count {
            let bytes = makeP2PInput()
            let port = p2pPort
            let ok = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                DispatchQueue.global().async { c.resume(returning: Self.sendRaw(bytes, port: port)) }
            }
            if ok { accepted += 1 }
        }
        return accepted
    }

    /// One hostile P2P input: random bytes, a huge length prefix, or a mutated Hello (+ Auth).
    private func makeP2PInput() -> [UInt8] {
        switch random.below(4) {
        case 0:
            return (0..<(1 + random.below(2_000))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 1:
            return [0xff, 0xff, 0xff, UInt8(truncatingIfNeeded: random.next())] + (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        default:
            var hello: [UInt8] = [0x01, 0x00, 0x01]
            let chain = Array(genesis.chainID.utf8)
            hello.append(UInt8(chain.count))
            hello += chain
            hello += genesis.genesisHash.bytes
            let id = UInt32(random.below(6))
            hello += [UInt8(id >> 24), UInt8(id >> 16 & 0xff), UInt8(id >> 8 & 0xff), UInt8(id & 0xff)]
            hello += random.bytes32() + random.bytes32()
            for _ in 0..<random.below(4) {
                let i = random.below(hello.count)
                hello[i] ^= UInt8(truncatingIfNeeded: 1 + random.below(255))
            }
            var frame = Self.lengthPrefixed(hello)
            if random.below(2) == 0 {
                frame += Self.lengthPrefixed([0x02] + random.bytes32() + random.bytes32())
            }
            if random.below(3) == 0 {
                frame += Self.lengthPrefixed((0..<random.below(300)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            }
            return frame
        }
    }

    static func lengthPrefixed(_ body: [UInt8]) -> [UInt8] {
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + body
    }

    /// Where hostile connections come from: loopback addresses of their own (127.0.0.x all reach
    /// 127.0.0.1 on Linux), as an attacker's would be, so the nodes' per-address limits count them
    /// apart from the validators' links.
    static let unauthenticatedSource = "127.0.0.2"
    static let authenticatedSource = "127.0.0.3"

    /// A blocking TCP socket from `source` connected to 127.0.0.1:`port` with `receiveTimeout` on
    /// reads; `nil` if the connection was refused. The caller closes it.
    static func connectLoopback(port: Int, receiveTimeout: timeval, source: String = "127.0.0.1") -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { close(fd); return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); return nil }
        var timeout = receiveTimeout
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Connects to 127.0.0.1:`port`, writes `bytes`, reads for up to 50 ms, closes. `false` if
    /// the connection was refused.
    static func sendRaw(_ bytes: [UInt8], port: Int) -> Bool {
        guard let fd = connectLoopback(port: port, receiveTimeout: timeval(tv_sec: 0, tv_usec: 50_000), source: unauthenticatedSource) else { return false }
        defer { close(fd) }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 1_024)
        _ = recv(fd, &buffer, buffer.count, 0)
        return true
    }

    /// Posts `count` hostile JSON-RPC bodies. Returns how many got no HTTP answer at all.
    func fuzzRPC(count: Int) async -> Int {
        var unanswered = 0
        let valid = [
            #"{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"1"}}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"account","params":{"address":"ldg1qqqq"}}"#,
            #"{"jsonrpc":"2.0","id":"x","method":"status","params":[]}"#,
            #"[{"jsonrpc":"2.0","id":1,"method":"status"},{"jsonrpc":"2.0","id":2,"method":"health"}]"#,
            #"{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"00"}}"#,
        ]
        for _ in 0..<count {
            var body: [UInt8]
            switch random.below(6) {
            case 0: body = (0..<random.below(512)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case 1:
                let depth = 1 + random.below(20_000)
                body = Array(String(repeating: "[", count: depth).utf8) + Array(String(repeating: "]", count: depth).utf8)
            case 2:
                body = Array(#"{"jsonrpc":"2.0","id":1,"method":"block","params":{"height":"#.utf8)
                    + Array(["-1", "1e309", "18446744073709551616", "\"abc\"", "null", "[]", "{}", "99999999999999999999999"][random.below(8)].utf8)
                    + Array("}}".utf8)
            case 3:
                body = Array(#"{"jsonrpc":"2.0","id":1,"method":"status","params":{"x":""#.utf8)
                    + [0xff, 0xfe, 0xc0, 0x80] + Array(#""}}"#.utf8)
            default:
                body = Array(valid[random.below(valid.count)].utf8)
                for _ in 0..<(1 + random.below(6)) where !body.isEmpty {
                    let i = random.below(body.count)
                    switch random.below(3) {
                    case 0: body[i] = UInt8(truncatingIfNeeded: random.next())
                    case 1: body.remove(at: i)
                    default: body.insert(UInt8(truncatingIfNeeded: random.next()), at: i)
                    }
                }
            }
            if await rpc.postRaw(body, timeout: 3) == nil { unanswered += 1 }
        }
        return unanswered
    }

    /// Submits `count` mutated copies of a validly signed transfer. Returns how many were accepted.
    func fuzzTransactions(count: Int) async -> Int {
        var accepted = 0
        for k in 0..<count {
            guard let tx = try? Transaction.signed(
                chainID: genesis.chainID, sender: faucet, recipient: Address(publicKey: try! SigningKey(seed: random.bytes32()).publicKey),
                amount: UInt64(1 + random.below(1_000)), nonce: 1_000_000 + UInt64(k)) else { continue }
            var bytes = tx.encoded()
            switch random.below(3) {
            case 0:
                let i = random.below(bytes.count)
                bytes[i] ^= UInt8(truncatingIfNeeded: 1 + random.below(255))
            case 1: bytes.removeLast(1 + random.below(min(bytes.count, 40)))
            default: bytes += (0..<(1 + random.below(16))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            if (try? await rpc.call("broadcast_tx_sync", ["tx": Hex.encode(bytes)], timeout: 3)) != nil { accepted += 1 }
        }
        return accepted
    }
}

/// Resident memory of process `pid` in KiB (from /proc), or nil.
func residentKiB(_ pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
    return nil
}
