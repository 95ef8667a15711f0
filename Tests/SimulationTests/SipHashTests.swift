// Checks the simulator's SipHash-2-4 MAC against the reference vectors of the SipHash paper, and that the simulated signatures it backs reject a changed message, signer or tag.
import LedgerCore
import LedgerCrypto
import PBFT
@testable import Simulation
import XCTest

final class SipHashTests: XCTestCase {
    private func sip(_ message: [UInt8]) -> UInt64 {
        // Key 00 01 … 0f, as in the paper's Appendix A.
        let key = (0..<16).map { UInt8($0) }
        let k0 = key.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self) }
        let k1 = key.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) }
        var h = SipHash24(k0: UInt64(littleEndian: k0), k1: UInt64(littleEndian: k1))
        return message.withUnsafeBytes { h.tag($0) }
    }

    func testReferenceVectors() {
        XCTAssertEqual(sip([]), 0x726f_db47_dd0e_0e31)
        XCTAssertEqual(sip((0..<15).map { UInt8($0) }), 0xa129_ca61_49be_45e5)
        XCTAssertEqual(sip((0..<8).map { UInt8($0) }), 0x93f5_f579_9a93_2462)
    }

    func testSimulatedSignaturesRejectChanges() {
        var random = SimulationRandom(seed: 9)
        let keys = SimulationKeys(replicaCount: 4, random: &random)
        let message = Array("prepare v1 n7".utf8)
        let signature = keys.signer(for: ReplicaID(2)).sign(message)
        XCTAssertTrue(keys.isValid(signature, by: ReplicaID(2), over: message))
        XCTAssertFalse(keys.isValid(signature, by: ReplicaID(1), over: message), "another replica's key")
        XCTAssertFalse(keys.isValid(signature, by: ReplicaID(2), over: message + [0]), "a changed message")
        var tampered = signature.bytes
        tampered[63] ^= 1
        XCTAssertFalse(keys.isValid(try! Signature(bytes: tampered), by: ReplicaID(2), over: message), "a changed tag")
        XCTAssertFalse(keys.isValid(signature, by: ReplicaID(4), over: message), "a replica outside the set")
    }
}
