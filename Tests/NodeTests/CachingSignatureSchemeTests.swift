// Checks the node's consensus-signature cache: a valid signature is checked with Ed25519 once and
// answered from memory after that; an invalid one is refused every time; a change to the signer,
// the signature or the bytes is a different question; the memory is bounded.
import LedgerCore
import LedgerCrypto
import Node
import PBFT
import Synchronization
import XCTest

/// Counts the checks that reach the real scheme.
private final class CountingScheme: SignatureScheme {
    let base: Ed25519ValidatorKeys
    let calls = Mutex(0)
    init(_ base: Ed25519ValidatorKeys) { self.base = base }
    var replicaCount: Int { base.replicaCount }
    func isValid(_ signature: Signature, by replica: ReplicaID, over bytes: [UInt8]) -> Bool {
        calls.withLock { $0 += 1 }
        return base.isValid(signature, by: replica, over: bytes)
    }
    var count: Int { calls.withLock { $0 } }
}

final class CachingSignatureSchemeTests: XCTestCase {
    private let keys = (0..<4).map { _ in SigningKey.generate() }
    private var validators: Ed25519ValidatorKeys { Ed25519ValidatorKeys(publicKeys: keys.map(\.publicKey)) }

    /// Asks `times` times whether replica 2 signed some bytes, with a signature made by `signer`'s key.
    private func ask(_ times: Int, signedBy signer: Int) -> (answers: Set<Bool>, realChecks: Int, hits: UInt64) {
        let counting = CountingScheme(validators)
        let scheme = CachingSignatureScheme(counting, capacity: 1_000)
        let bytes = Array("prepare v0 n7".utf8)
        let signature = keys[signer].sign(bytes)
        let answers = Set((0..<times).map { _ in scheme.isValid(signature, by: ReplicaID(2), over: bytes) })
        return (answers, counting.count, scheme.statistics.hits)
    }

    func testAValidSignatureIsCheckedOnceAndThenRemembered() {
        let r = ask(10, signedBy: 2)
        XCTAssertEqual(r.answers, [true])
        XCTAssertEqual(r.realChecks, 1, "nine repeats answered from memory")
        XCTAssertEqual(r.hits, 9)
    }

    func testAnInvalidSignatureIsRefusedEveryTimeAndNeverRemembered() {
        let r = ask(5, signedBy: 1)
        XCTAssertEqual(r.answers, [false])
        XCTAssertEqual(r.realChecks, 5, "each refusal is a real check")
        XCTAssertEqual(r.hits, 0)
    }

    func testAnotherSignerSignatureOrMessageIsADifferentQuestion() {
        let counting = CountingScheme(validators)
        let scheme = CachingSignatureScheme(counting, capacity: 1_000)
        let bytes = Array("view-change v1".utf8)
        let signature = keys[0].sign(bytes)
        XCTAssertTrue(scheme.isValid(signature, by: ReplicaID(0), over: bytes))
        // The remembered triple must not vouch for any neighbour of it.
        XCTAssertFalse(scheme.isValid(signature, by: ReplicaID(1), over: bytes), "same bytes and signature, other signer")
        XCTAssertFalse(scheme.isValid(signature, by: ReplicaID(0), over: bytes + [0]), "one more byte")
        var flipped = bytes
        flipped[0] ^= 1
        XCTAssertFalse(scheme.isValid(signature, by: ReplicaID(0), over: flipped), "one bit flipped")
        var tampered = signature.bytes
        tampered[63] ^= 0x01
        let other = try! Signature(bytes: tampered)
        XCTAssertFalse(scheme.isValid(other, by: ReplicaID(0), over: bytes), "signature changed")
        XCTAssertFalse(scheme.isValid(signature, by: ReplicaID(7), over: bytes), "no such validator")
        XCTAssertEqual(scheme.statistics.hits, 0)
    }

    func testMemoryIsBoundedAndTheOldestGenerationIsForgotten() {
        let counting = CountingScheme(validators)
        let scheme = CachingSignatureScheme(counting, capacity: 8)  // two generations of 4
        let messages = (0..<12).map { Array("message \($0)".utf8) }
        let signatures = messages.map { keys[3].sign($0) }
        for (m, s) in zip(messages, signatures) { XCTAssertTrue(scheme.isValid(s, by: ReplicaID(3), over: m)) }
        XCTAssertEqual(counting.count, 12)
        // The latest ones are still known; the first ones were forgotten and are checked again.
        XCTAssertTrue(scheme.isValid(signatures[11], by: ReplicaID(3), over: messages[11]))
        XCTAssertEqual(counting.count, 12)
        XCTAssertTrue(scheme.isValid(signatures[0], by: ReplicaID(3), over: messages[0]))
        XCTAssertEqual(counting.count, 13)
    }
}
