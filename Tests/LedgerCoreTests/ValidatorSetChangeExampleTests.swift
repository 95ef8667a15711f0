// Rebuilds the validator-set change example of docs/wire-format.md from its seeds and checks every hex string byte for byte.
import LedgerCore
import LedgerCrypto
import XCTest

final class ValidatorSetChangeExampleTests: XCTestCase {
    static let approverSeed = (0x01...0x20).map { UInt8($0) }
    static let joinerSeed = (0x21...0x40).map { UInt8($0) }
    static let approverKey = WireFormatExampleTests.senderPublicKey
    static let joinerKey = WireFormatExampleTests.recipientPublicKey
    /// Written from the documented layout, field by field.
    static let signingBytes =
        "6c65646765722d76616c7365742d763100" + "01" + "0e" + "6c65646765722d746573746e6574" + "0000000000000000"
        + "01" + "01" + joinerKey + "0014" + "76352e6578616d706c652e6f72673a3236363536" + "0000"
    static let id = "267a9b4ff166607073f4a9da3f9803c189c8660c250f784405f18906b9eb07af"
    static let signature =
        "e35e0693bef49f4cd744b9daa234f03d022e0b1356a7d87513dd6c588d0221f7"
        + "89bd7ad8b7c06b1a4915e65e4bab40f9eba9deee07a92515e249d92b6ffe720a"

    func testWorkedExampleMatchesTheDocumentedBytes() throws {
        let approver = try SigningKey(seed: Self.approverSeed)
        let joiner = try SigningKey(seed: Self.joinerSeed)
        XCTAssertEqual(approver.publicKey.hex, Self.approverKey)
        let change = try ValidatorSetChange(
            chainID: "ledger-testnet", epoch: 0,
            operations: [.add(publicKey: joiner.publicKey, p2pAddress: "v5.example.org:26656", rpcAddress: nil)])
            .approved(by: approver)
        XCTAssertEqual(Hex.encode(change.signingBytes()), Self.signingBytes)
        XCTAssertEqual(change.signingBytes().count, 99)
        XCTAssertEqual(change.id.hex, Self.id)
        XCTAssertEqual(Hash.blake2b256(Hex.decode(Self.signingBytes)!).hex, Self.id, "the id is the hash of the signing bytes")
        XCTAssertEqual(change.approvals[0].signature.hex, Self.signature)
        XCTAssertTrue(approver.publicKey.isValidSignature(try Signature(hex: Self.signature), for: Hex.decode(Self.signingBytes)!))
        // The encoding is the signing bytes without the 17-byte tag, the approval count and the approval.
        let encoded = String(Self.signingBytes.dropFirst(34)) + "01" + Self.approverKey + Self.signature
        XCTAssertEqual(Hex.encode(change.encoded()), encoded)
        XCTAssertEqual(change.encoded().count, 179)
        XCTAssertEqual(try ValidatorSetChange.decode(Hex.decode(encoded)!), change)
    }
}
