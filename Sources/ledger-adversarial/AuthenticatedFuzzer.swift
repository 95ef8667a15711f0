import Adversary
import Foundation
import LedgerCore
import LedgerCrypto
import P2P
import PBFT

/// Fuzzes a node's P2P entry point AFTER the handshake: completes a real handshake as
/// validator `as` (with that validator's key from its home) and sends sealed frames whose
/// payloads are mutated consensus messages, mutated transactions, hostile block requests and
/// unsolicited block responses, unknown envelope kinds and unknown frame kinds.
///
/// Every consensus message is mutated in at least one byte after the envelope kind, so the
/// impersonated validator never signs a valid conflicting vote (which would make it look
/// Byzantine).
// A class for the same reason as `Fuzzer`. @unchecked: used by one task at a time.
final class AuthenticatedFuzzer: @unchecked Sendable {
    let identity: NetworkIdentity
    let genesis: Genesis
    let signingKey: SigningKey
    let impersonated: ReplicaID
    var random: AdversaryRandom

    init(identity: NetworkIdentity, genesis: Genesis, signingKey: SigningKey, impersonated: ReplicaID, random: AdversaryRandom) {
        self.identity = identity; self.genesis = genesis; self.signingKey = signingKey; self.impersonated = impersonated
        self.random = random
    }

    /// Runs `sessions` sessions of `framesPerSession` frames against 127.0.0.1:`port`.
    /// Returns the number of sessions whose handshake completed.
    func run(port: Int, sessions: Int, framesPerSession: Int) async -> Int {
        var established = 0
        for _ in 0..<sessions {
            let payloads = (0..<framesPerSession).map { _ in makePayload() }
            let kinds = payloads.map { _ in random.below(20) == 0 ? UInt8(2 + random.below(250)) : 0 }
            let identity = self.identity
            let ok = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                DispatchQueue.global().async {
                    c.resume(returning: Self.session(port: port, identity: identity, payloads: payloads, frameKinds: kinds))
                }
            }
            if ok { established += 1 }
        }
        return established
    }

    private func makePayload() -> [UInt8] {
        let r = random.below(8)
        switch r {
        case 0, 1, 2:
            let view = View(UInt64(random.below(4)))
            let seq = SequenceNumber(UInt64(random.below(2_000)))
            let digest = try! Digest(bytes: random.bytes32())
            let signer = Ed25519MessageSigner(key: signingKey)
            let message: LedgerMessage
            switch random.below(4) {
            case 0: message = .prepare(Signed.make(Prepare(view: view, sequence: seq, digest: digest), signer: impersonated, using: signer, context: SigningContext(chainID: genesis.chainID, epoch: 0)))
            case 1: message = .commit(Signed.make(Commit(view: view, sequence: seq, digest: digest), signer: impersonated, using: signer, context: SigningContext(chainID: genesis.chainID, epoch: 0)))
            case 2: message = .checkpoint(Signed.make(Checkpoint(sequence: seq, blockHash: digest), signer: impersonated, using: signer, context: SigningContext(chainID: genesis.chainID, epoch: 0)))
            default: message = .status(Signed.make(Status(view: view, isChangingView: random.below(2) == 0, lastExecuted: seq, stableCheckpoint: .zero), signer: impersonated, using: signer, context: SigningContext(chainID: genesis.chainID, epoch: 0)))
            }
            return mutate([1] + message.encoded(), atLeastOne: true)
        case 3:
            let tx = try? Transaction.signed(chainID: genesis.chainID, sender: signingKey,
                                             recipient: Address(publicKey: signingKey.publicKey), amount: 1, nonce: random.next())
            return mutate([2] + (tx?.encoded() ?? []), atLeastOne: true)
        case 4:
            var body: [UInt8] = [3]
            for v in [random.next(), random.below(2) == 0 ? UInt64(random.below(100)) : random.next()] {
                withUnsafeBytes(of: v.bigEndian) { body += $0 }
            }
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: random.next()).bigEndian) { body += $0 }
            return body
        case 5:
            return [4] + (0..<random.below(300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 6:
            return []
        default:
            return [UInt8(5 + random.below(251))] + (0..<random.below(100)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
    }

    private func mutate(_ bytes: [UInt8], atLeastOne: Bool) -> [UInt8] {
        var out = bytes
        for _ in 0..<(atLeastOne ? 1 + random.below(4) : random.below(4)) where out.count > 1 {
            let i = 1 + random.below(out.count - 1)
            switch random.below(3) {
            case 0: out[i] ^= UInt8(truncatingIfNeeded: 1 + random.below(255))
            case 1: out.removeSubrange(i..<min(out.count, i + 1 + random.below(8)))
            default: out[i] ^= 0x80
            }
        }
        return out
    }

    /// One blocking session: handshake as the impersonated validator, then the sealed frames.
    static func session(port: Int, identity: NetworkIdentity, payloads: [[UInt8]], frameKinds: [UInt8]) -> Bool {
        guard let (fd, keys) = open(port: port, identity: identity) else { return false }
        defer { close(fd) }
        for (counter, payload) in payloads.enumerated() {
            guard let sealed = try? keys.transmit.seal([frameKinds[counter]] + payload, counter: UInt64(counter)) else { continue }
            if !write(fd, Fuzzer.lengthPrefixed(sealed)) { break }
        }
        var buffer = [UInt8](repeating: 0, count: 4_096)
        var short = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &short, socklen_t(MemoryLayout<timeval>.size))
        _ = recv(fd, &buffer, buffer.count, 0)
        return true
    }

    /// One blocking session that sends `payloads` (application frames) over and over, as fast as the
    /// connection takes them, until `deadline`. Returns the frames sent, or `nil` when the handshake failed.
    static func stream(port: Int, identity: NetworkIdentity, payloads: [[UInt8]], until deadline: Date) -> Int? {
        guard !payloads.isEmpty, let (fd, keys) = open(port: port, identity: identity) else { return nil }
        defer { close(fd) }
        var counter: UInt64 = 0
        while Date() < deadline {
            guard let sealed = try? keys.transmit.seal([0] + payloads[Int(counter % UInt64(payloads.count))], counter: counter),
                  write(fd, Fuzzer.lengthPrefixed(sealed)) else { break }
            counter += 1
        }
        return Int(counter)
    }

    /// Dials 127.0.0.1:`port` and completes a handshake as `identity`: the socket and the session keys.
    private static func open(port: Int, identity: NetworkIdentity) -> (Int32, SessionKeys)? {
        guard let fd = Fuzzer.connectLoopback(port: port, receiveTimeout: timeval(tv_sec: 2, tv_usec: 0), source: Fuzzer.authenticatedSource) else { return nil }
        var handshake = Handshake(role: .initiator, identity: identity, expectedPeer: nil)
        var keys: SessionKeys?
        if write(fd, Fuzzer.lengthPrefixed(handshake.helloMessage)) {
            exchange: for _ in 0..<3 where keys == nil {
                guard let frame = readFrame(fd) else { break exchange }
                do {
                    switch try handshake.receive(frame) {
                    case let .send(bytes): guard write(fd, Fuzzer.lengthPrefixed(bytes)) else { break exchange }
                    case let .established(e): keys = e.keys
                    case let .sendAndEstablish(bytes, e):  // responders only; the fuzzer dials
                        guard write(fd, Fuzzer.lengthPrefixed(bytes)) else { break exchange }
                        keys = e.keys
                    }
                } catch { break exchange }
            }
        }
        guard let keys else {
            close(fd)
            return nil
        }
        return (fd, keys)
    }

    private static func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    private static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n <= 0 { return nil }
            got += n
        }
        return out
    }

    private static func readFrame(_ fd: Int32) -> [UInt8]? {
        guard let header = readExactly(fd, 4) else { return nil }
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        guard length <= 4_096 else { return nil }
        return readExactly(fd, length)
    }
}
