// Checks that a running node refuses forged handshakes over a raw TCP socket — a real validator's Auth with a corrupted signature, a low-order X25519 ephemeral key, and a recorded handshake replayed — closing each connection, and keeps committing.
import Foundation
import LedgerCore
import LedgerCrypto
import Node
@testable import P2P
import TestSupport
import XCTest

final class HandshakeForgeryTests: XCTestCase {
    func testForgedHandshakesAreRefusedAndTheNodeKeepsCommitting() async throws {
        let net = try TestnetHarness()
        defer { net.stopAll(); net.removeFiles() }
        try net.startAll()
        try await net.waitConnected(Array(0..<4))
        let genesis = net.result.genesis
        let validators = Dictionary(uniqueKeysWithValues: genesis.validators.map { (PeerID($0.id.index), $0.publicKey) })
        // The attacker holds validator 2's real key (as if it were stolen) for the signature and replay cases.
        let key2 = try NodeKey.load(path: net.result.homes[2] + "/node_key.json").signingKey
        let key0 = try NodeKey.load(path: net.result.homes[0] + "/node_key.json").signingKey
        let as2 = try NetworkIdentity(chainID: genesis.chainID, genesisHash: genesis.genesisHash, localID: PeerID(2),
                                      signingKey: key2, validators: validators)
        let port = net.basePort

        // 1. Bad signature: validator 2's Hello, then its Auth over the right transcript with one bit flipped.
        do {
            let socket = try RawPeerSocket(port: port)
            var handshake = Handshake(role: .initiator, identity: as2, expectedPeer: PeerID(0))
            try socket.sendFrame(handshake.helloMessage)
            let theirHello = try XCTUnwrap(socket.readFrame(), "node 0 sent no Hello")
            guard case var .send(auth) = try handshake.receive(theirHello) else { return XCTFail("no Auth to send") }
            auth[auth.count - 1] ^= 0x01
            try socket.sendFrame(auth)
            try socket.waitClosedByPeer("node 0 to close the connection whose Auth signature is invalid")
        }

        // 2. Low-order ephemeral key: a Hello whose X25519 key is the all-zero point (order 1 / shared secret 0).
        do {
            let socket = try RawPeerSocket(port: port)
            let handshake = Handshake(role: .initiator, identity: as2, expectedPeer: PeerID(0))
            var hello = handshake.helloMessage
            let keyOffset = 1 + 2 + 1 + genesis.chainID.utf8.count + 32 + 4 + 32  // after the sender's Ed25519 key
            for i in keyOffset..<(keyOffset + 32) { hello[i] = 0 }
            try socket.sendFrame(hello)
            // Node 0 spends no key exchange before we prove ourselves: it answers with its Hello,
            // and refuses the weak key only after our Auth (a valid signature by validator 2) verifies.
            let theirHello = try XCTUnwrap(socket.readFrame(), "node 0 sent no Hello")
            let transcript = Handshake.transcript(initiatorHello: hello, responderHello: theirHello)
            let auth = Auth(signature: key2.sign(Handshake.signedBytes(signer: .initiator, transcript: transcript)))
            try socket.sendFrame(auth.encoded())
            try socket.waitClosedByPeer("node 0 to close the connection with a low-order ephemeral key")
        }

        // 3. Replay: record a complete, valid initiator side (Hello + Auth) made against node 0's key with the
        //    pure state machine, then replay both messages on a real connection: node 0's fresh nonce makes the
        //    recorded signature worthless.
        do {
            let as0 = try NetworkIdentity(chainID: genesis.chainID, genesisHash: genesis.genesisHash, localID: PeerID(0),
                                          signingKey: key0, validators: validators)
            var initiator = Handshake(role: .initiator, identity: as2, expectedPeer: PeerID(0))
            var responder = Handshake(role: .responder, identity: as0)
            let recordedHello = initiator.helloMessage
            guard case let .send(responderHello) = try responder.receive(recordedHello) else { return XCTFail("responder") }
            guard case let .send(recordedAuth) = try initiator.receive(responderHello) else { return XCTFail("initiator") }
            guard case let .sendAndEstablish(responderAuth, _) = try responder.receive(recordedAuth),
                  case .established = try initiator.receive(responderAuth) else { return XCTFail("the recorded handshake is not valid") }

            let socket = try RawPeerSocket(port: port)
            try socket.sendFrame(recordedHello)
            _ = socket.readFrame()  // node 0's Hello, with a nonce the recording cannot have signed
            try socket.sendFrame(recordedAuth)
            try socket.waitClosedByPeer("node 0 to close the connection that replayed a recorded handshake")
        }

        // The node is still connected to its real peers and still commits.
        try await net.waitConnected(Array(0..<4), seconds: 30)
        for _ in 0..<5 { try await net.submitTransfer(to: 0) }
        try await net.waitCommitted(Array(0..<4))
        // The refusals are counted on /metrics by reason.
        let (status, text) = try await net.get(0, "/metrics")
        XCTAssertEqual(status, 200)
        func refused(_ reason: String) -> Double { PrometheusTextCheck.value(text, "ledger_p2p_handshake_failures{reason=\"\(reason)\"}") ?? 0 }
        XCTAssertGreaterThanOrEqual(refused("bad_signature"), 2, "expected refusals for the flipped-bit and the replayed signatures")
        XCTAssertGreaterThanOrEqual(refused("weak_key") + refused("malformed"), 1, "no refusal counted for the low-order ephemeral key")
    }
}

/// A blocking TCP client speaking the P2P framing (4-byte big-endian length ‖ body), for hand-made handshakes.
final class RawPeerSocket {
    private let fd: Int32

    init(port: Int) throws {
        fd = try connectLoopback(port: port, receiveTimeoutSeconds: 5)
    }

    deinit { close(fd) }

    func sendFrame(_ body: [UInt8]) throws {
        let n = UInt32(body.count)
        let frame = [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)] + body
        let sent = frame.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == frame.count else { throw HarnessError.rpc("send failed") }
    }

    /// The next frame's body, or `nil` when the peer closed the connection (or 5 s passed).
    func readFrame() -> [UInt8]? {
        guard let header = readExactly(4) else { return nil }
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length <= 1 << 20 else { return nil }
        return readExactly(length)
    }

    /// Waits (at most 5 s, the shared `waitUntilSync`) until the peer closes the connection; anything it still
    /// sends is read and dropped. Fails the test, naming `what`, if the connection stays open.
    func waitClosedByPeer(_ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var buffer = [UInt8](repeating: 0, count: 4096)
        try waitUntilSync(what, timeout: .seconds(5), poll: .zero, file: file, line: line) {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return true }
            if n > 0 { return false }
            switch errno {
            case ECONNRESET: return true
            case EAGAIN, EINTR: return false  // SO_RCVTIMEO passed with nothing to read: still open
            case let e: throw HarnessError.rpc("recv failed: errno \(e)")
            }
        }
    }

    private func readExactly(_ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n <= 0 { return nil }
            got += n
        }
        return out
    }
}
