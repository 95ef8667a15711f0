// Rebuilds the worked example of docs/wire-format.md from its seeds and checks every hex string byte for byte.
import LedgerCore
import LedgerCrypto
import XCTest

final class WireFormatExampleTests: XCTestCase {
    static let senderSeed = (0x01...0x20).map { UInt8($0) }
    static let recipientSeed = (0x21...0x40).map { UInt8($0) }
    static let chainID = "ledger-testnet"
    static let amount: UInt64 = 1_500_000
    static let nonce: UInt64 = 7
    static let memo = Array("invoice 42".utf8)

    static let senderPublicKey = "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664"
    static let recipientPublicKey = "e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f0"
    static let senderAddress = "ldg10x64vt50ue20jsrckyfw32vt57gplpf6u62ma4lquwgshtgyjejqufrahn"
    static let recipientAddress = "ldg1ulck9ggta32e4l4pjhjde6ztd9tg6hfvkztradzxcp59u2ch7tcqlvz8ah"
    static let signingBytes =
        "6c65646765722d74782d763100" + "01" + "0e" + "6c65646765722d746573746e6574"
        + senderPublicKey + recipientPublicKey + "000000000016e360" + "0000000000000007" + "000a"
        + "696e766f696365203432"
    static let signature =
        "08707995d60847fd23579826fe126546dc305fba91ef1ef01a8a884c0ff65a48"
        + "7d977150c1c965169b56cfbd49061170f3d69618766a5765d29234f1b6159c0e"
    static let encoded =
        "01" + "0e" + "6c65646765722d746573746e6574" + senderPublicKey + recipientPublicKey + "000000000016e360"
        + "0000000000000007" + "000a" + "696e766f696365203432" + signature
    static let hash = "d96434221fef3956ee6a116bedf7fc7c7b3f31223d9b18724c10cae9ddea0ba1"

    func testWorkedExampleMatchesTheDocumentedBytes() throws {
        let sender = try SigningKey(seed: Self.senderSeed)
        let recipient = try SigningKey(seed: Self.recipientSeed)
        XCTAssertEqual(sender.publicKey.hex, Self.senderPublicKey)
        XCTAssertEqual(recipient.publicKey.hex, Self.recipientPublicKey)
        XCTAssertEqual(Address(publicKey: sender.publicKey).string, Self.senderAddress)
        XCTAssertEqual(Address(publicKey: recipient.publicKey).string, Self.recipientAddress)

        let tx = try Transaction.signed(
            chainID: Self.chainID, sender: sender, recipient: try Address(string: Self.recipientAddress),
            amount: Self.amount, nonce: Self.nonce, memo: Self.memo)
        XCTAssertEqual(Hex.encode(tx.signingBytes()), Self.signingBytes)
        XCTAssertEqual(tx.signingBytes().count, 121)
        XCTAssertEqual(tx.signature.hex, Self.signature)
        XCTAssertEqual(Hex.encode(tx.encoded()), Self.encoded)
        XCTAssertEqual(tx.encodedSize, 172)
        XCTAssertEqual(tx.hash.hex, Self.hash)

        let decoded = try Transaction.decode(Hex.decode(Self.encoded)!)
        XCTAssertEqual(decoded, tx)
        XCTAssertTrue(decoded.hasValidSignature)
    }
}
