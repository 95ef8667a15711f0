// Shared fixtures for the P2P tests: validator sets, identities, fast limits and an inbox (bounded waits come from TestSupport).
import Foundation
import LedgerCrypto
import Logging
import NIOCore
@testable import P2P
import XCTest

/// A genesis validator set with its signing keys.
struct TestValidators {
    let keys: [PeerID: SigningKey]
    let table: [PeerID: PublicKey]
    let chainID = "test-chain"
    let genesisHash = Hash.blake2b256(Array("test genesis".utf8))

    init(count: Int) {
        var keys: [PeerID: SigningKey] = [:]
        for i in 0..<count {
            keys[PeerID(i)] = try! SigningKey(seed: [UInt8](repeating: UInt8(i + 1), count: 32))
        }
        self.keys = keys
        self.table = keys.mapValues(\.publicKey)
    }

    func identity(_ index: Int, limits: P2PLimits = .standard, fullNodes: FullNodePolicy = .refuseAll) -> NetworkIdentity {
        try! NetworkIdentity(
            chainID: chainID, genesisHash: genesisHash, localID: PeerID(index),
            signingKey: keys[PeerID(index)]!, validators: table, fullNodes: fullNodes, limits: limits)
    }

    /// A full node of this chain with `key`.
    func fullNode(_ key: SigningKey, limits: P2PLimits = .standard) -> NetworkIdentity {
        try! NetworkIdentity(
            chainID: chainID, genesisHash: genesisHash, localID: PeerID(fullNodeKey: key.publicKey),
            signingKey: key, validators: table, limits: limits)
    }
}

/// Timeouts short enough for tests that still respect `P2PLimits.problems`.
func fastLimits() -> P2PLimits {
    var limits = P2PLimits()
    limits.handshakeTimeout = .seconds(2)
    limits.readIdleTimeout = .seconds(4)
    limits.keepaliveInterval = .milliseconds(500)
    limits.connectTimeout = .seconds(1)
    limits.reconnectBaseDelay = .milliseconds(20)
    limits.reconnectMaxDelay = .milliseconds(300)
    return limits
}

/// A logger that discards everything (set P2P_TEST_LOG=1 to see the transport's logs).
func testLogger(_ label: String) -> Logger {
    if ProcessInfo.processInfo.environment["P2P_TEST_LOG"] != nil {
        var logger = Logger(label: label)
        logger.logLevel = .debug
        return logger
    }
    return Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
}

/// Collects everything a network delivers, for assertions.
actor Inbox {
    private(set) var messages: [PeerMessage] = []

    func append(_ message: PeerMessage) { messages.append(message) }

    func contains(_ message: PeerMessage) -> Bool { messages.contains(message) }

    /// Starts a task draining `network.messages` into a new inbox.
    static func draining(_ network: PeerNetwork) -> Inbox {
        let inbox = Inbox()
        Task {
            for await message in network.messages { await inbox.append(message) }
        }
        return inbox
    }
}
