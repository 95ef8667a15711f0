// Checks that docs/wire-format.md's worked transaction example shows the bytes the code produces, so the
// document a third-party client is written from cannot drift from the implementation.
import LedgerCore
import LedgerCrypto
import XCTest

final class WireFormatDocumentTests: XCTestCase {
    private func readme() throws -> String {
        // Tests/LedgerCoreTests/ThisFile.swift → repository root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("docs/wire-format.md"), encoding: .utf8)
    }

    /// The hex of every "field per line" line (hex, then two spaces and a comment), concatenated.
    private func fieldBytes(_ text: String) -> String {
        text.components(separatedBy: "\n").compactMap { line -> String? in
            let first = line.split(separator: " ").first.map(String.init) ?? ""
            return first.count >= 2 && first.count % 2 == 0 && Hex.decode(first) != nil && line.contains("  ") ? first : nil
        }.joined()
    }

    func testTheDocumentedExampleMatchesTheComputedTransaction() throws {
        let text = try readme()
        let sender = try SigningKey(seed: (0x01...0x20).map { UInt8($0) })
        let recipient = try SigningKey(seed: (0x21...0x40).map { UInt8($0) })
        let tx = try Transaction.signed(
            chainID: "ledger-testnet", sender: sender, recipient: Address(publicKey: recipient.publicKey),
            amount: 1_500_000, nonce: 7, memo: Array("invoice 42".utf8))

        let expectations: [(String, String)] = [
            ("sender public key", sender.publicKey.hex),
            ("recipient public key", recipient.publicKey.hex),
            ("sender address", Address(publicKey: sender.publicKey).string),
            ("recipient address", Address(publicKey: recipient.publicKey).string),
            ("signature", tx.signature.hex),
            ("full signed encoding", Hex.encode(tx.encoded())),
            ("transaction hash", tx.hash.hex),
        ]
        for (what, value) in expectations {
            XCTAssertTrue(text.contains(value), "docs/wire-format.md does not show the \(what) \(value)")
        }
        // The signing bytes are printed one field per line; their concatenation must be the real bytes.
        XCTAssertTrue(
            fieldBytes(text).contains(Hex.encode(tx.signingBytes())),
            "docs/wire-format.md's field-by-field signing bytes do not concatenate to the real signing bytes")
    }

    func testTheDocumentedChangeExampleMatchesTheComputedChange() throws {
        let text = try readme()
        let approver = try SigningKey(seed: (0x01...0x20).map { UInt8($0) })
        let joiner = try SigningKey(seed: (0x21...0x40).map { UInt8($0) })
        let change = try ValidatorSetChange(
            chainID: "ledger-testnet", epoch: 0,
            operations: [.add(publicKey: joiner.publicKey, p2pAddress: "v5.example.org:26656", rpcAddress: nil)])
            .approved(by: approver)
        XCTAssertTrue(text.contains(change.id.hex), "docs/wire-format.md does not show the change id \(change.id.hex)")
        XCTAssertTrue(text.contains(change.approvals[0].signature.hex), "docs/wire-format.md does not show the approval signature")
        XCTAssertTrue(
            fieldBytes(text).contains(Hex.encode(change.signingBytes())),
            "docs/wire-format.md's field-by-field change signing bytes do not concatenate to the real signing bytes")
    }
}
