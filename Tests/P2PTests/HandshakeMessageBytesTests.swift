// Checks the handshake messages' bytes against known answers written out by hand from the documented layout, so a change
// of codec cannot change a byte, and that every truncation of a Hello is refused as malformed.
import LedgerCrypto
@testable import P2P
import XCTest

final class HandshakeMessageBytesTests: XCTestCase {
    let genesis = [UInt8](repeating: 0x22, count: 32)
    let ephemeral = [UInt8](repeating: 0x09, count: 32)
    let sender = [UInt8](repeating: 0x55, count: 32)
    let nonce = [UInt8](repeating: 0x33, count: 32)

    func hello() throws -> Hello {
        Hello(
            protocolVersion: 0x0102, chainID: Array("abc".utf8), genesisHash: try Digest(bytes: genesis),
            validatorID: PeerID(0x0A0B), senderKey: sender, ephemeralKey: try KeyExchangePublicKey(bytes: ephemeral), nonce: nonce)
    }

    var helloBytes: [UInt8] {
        [0x01, 0x01, 0x02, 0x03] + Array("abc".utf8) + genesis + [0x00, 0x00, 0x0A, 0x0B] + sender + ephemeral + nonce
    }

    func testHelloBytesFollowTheDocumentedLayout() throws {
        XCTAssertEqual(try hello().encoded(), helloBytes)
        XCTAssertEqual(try Hello.decode(helloBytes, expectedVersion: 0x0102, limits: .standard), try hello())
    }

    func testAFullNodeSendsTheAllOnesIDAndItsKey() throws {
        var hello = try hello()
        hello.validatorID = PeerID(fullNodeKey: try PublicKey(bytes: SigningKey(seed: [UInt8](repeating: 7, count: 32)).publicKey.bytes))
        let bytes = hello.encoded()
        let idAt = 1 + 2 + 1 + 3 + 32
        XCTAssertEqual(Array(bytes[idAt..<idAt + 4]), [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertEqual(Array(bytes[idAt + 4..<idAt + 36]), sender)
        XCTAssertTrue(try Hello.decode(bytes, expectedVersion: 0x0102, limits: .standard).validatorID.isFullNode)
    }

    func testEveryTruncationOrExtensionOfAHelloIsMalformed() {
        for cut in 1..<helloBytes.count {
            XCTAssertThrowsError(try Hello.decode(Array(helloBytes.prefix(cut)), expectedVersion: 0x0102, limits: .standard)) {
                guard case .malformedMessage = $0 as? HandshakeError else { return XCTFail("cut \(cut): \($0)") }
            }
        }
        XCTAssertThrowsError(try Hello.decode(helloBytes + [0], expectedVersion: 0x0102, limits: .standard)) {
            guard case .malformedMessage = $0 as? HandshakeError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Hello.decode(helloBytes, expectedVersion: 1, limits: .standard)) {
            XCTAssertEqual($0 as? HandshakeError, .protocolVersionMismatch(ours: 1, theirs: 0x0102))
        }
    }

    func testAuthIsKindThenSignature() throws {
        let signature = [UInt8](repeating: 0x44, count: 64)
        let auth = Auth(signature: try Signature(bytes: signature))
        XCTAssertEqual(auth.encoded(), [0x02] + signature)
        XCTAssertEqual(try Auth.decode([0x02] + signature), auth)
    }
}
