// Checks the lost/duplicate accounting of a run and the block-notification scanner on the node's JSON shapes.
import BenchSupport
import XCTest

final class InclusionAccountingTests: XCTestCase {
    func testEveryOutcomeIsCountedOnce() {
        var t = InclusionTally(count: 8)
        t.record(.accepted, for: 0); t.recordInclusion(of: 0)                 // fine
        t.record(.accepted, for: 1)                                            // lost
        t.record(.accepted, for: 2); t.recordInclusion(of: 2)
        XCTAssertFalse(t.recordInclusion(of: 2))                               // duplicated
        t.record(.rejected, for: 3)                                            // refused, absent: fine
        t.record(.rejected, for: 4); t.recordInclusion(of: 4)                  // refused but committed
        t.record(.unknown, for: 5); t.recordInclusion(of: 5)                   // unanswered, committed
        t.record(.pending, for: 6)                                             // unanswered, absent
        // 7 never sent
        let s = t.summary
        XCTAssertEqual(s.sent, 7)
        XCTAssertEqual(s.accepted, 3)
        XCTAssertEqual(s.rejected, 2)
        XCTAssertEqual(s.unanswered, 2)
        XCTAssertEqual(s.committed, 4)
        XCTAssertEqual(s.lost, 1)
        XCTAssertEqual(s.duplicated, 1)
        XCTAssertEqual(s.committedAfterRejection, 1)
        XCTAssertEqual(s.committedUnanswered, 1)
        XCTAssertEqual(t.inclusions(of: 2), 2)
        XCTAssertEqual(t.admission(7), .notSent)
    }

    func testBlockNotificationYieldsHeightHashesAndFailedReceipts() throws {
        let a = String(repeating: "ab", count: 32), b = String(repeating: "0f", count: 32)
        let text = #"{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"1","result":{"type":"block","block":"#
            + #"{"hash":"\#(String(repeating: "11", count: 32))","header":{"height":"42","prev_hash":"00","tx_count":2},"#
            + #""txs":[{"hash":"\#(a)","from":"x","to":"y","amount":"1","nonce":"0","memo":"","raw":"aa"},"#
            + #"{"hash":"\#(b)","from":"x","to":"y","amount":"1","nonce":"2","memo":"","raw":"bb"}],"#
            + #""receipts":[{"tx_hash":"\#(a)","index":0,"status":"success"},"#
            + #"{"tx_hash":"\#(b)","index":1,"status":"failed","reason":"wrong nonce: expected 1, got 2"}]}}}}"#
        guard case let .block(height, hashes, failed)? = BlockNotification.parse(Array(text.utf8)) else {
            return XCTFail("not read as a block")
        }
        XCTAssertEqual(height, 42)
        XCTAssertEqual(hashes, [[UInt8](repeating: 0xab, count: 32), [UInt8](repeating: 0x0f, count: 32)])
        XCTAssertEqual(failed, [.init(transactionHash: [UInt8](repeating: 0x0f, count: 32), reason: "wrong nonce: expected 1, got 2")])
    }

    func testHashesDetailBlockReadsTheSame() throws {
        // The `"detail":"hashes"` shape the load generator subscribes with: hashes only, failed receipts only.
        let a = String(repeating: "ab", count: 32), b = String(repeating: "0f", count: 32)
        let text = #"{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"1","result":{"type":"block","block":"#
            + #"{"hash":"\#(String(repeating: "11", count: 32))","header":{"height":"43","prev_hash":"00","tx_count":2},"#
            + #""txs":[{"hash":"\#(a)"},{"hash":"\#(b)"}],"#
            + #""receipts":[{"tx_hash":"\#(b)","index":1,"status":"failed","reason":"insufficient balance"}]}}}}"#
        XCTAssertEqual(BlockNotification.parse(Array(text.utf8)), .block(
            height: 43, transactionHashes: [[UInt8](repeating: 0xab, count: 32), [UInt8](repeating: 0x0f, count: 32)],
            failed: [.init(transactionHash: [UInt8](repeating: 0x0f, count: 32), reason: "insufficient balance")]))
    }

    func testEmptyBlocksDropsAndOtherMessagesAreTold() {
        let empty = #"{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"1","result":{"type":"block","block":{"hash":"00","header":{"height":"7"},"txs":[],"receipts":[]}}}}"#
        XCTAssertEqual(BlockNotification.parse(Array(empty.utf8)), .block(height: 7, transactionHashes: [], failed: []))
        let dropped = #"{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"1","result":{"type":"dropped","reason":"slow","limit":256}}}"#
        XCTAssertEqual(BlockNotification.parse(Array(dropped.utf8)), .dropped(reason: "slow"))
        XCTAssertEqual(BlockNotification.parse(Array(#"{"jsonrpc":"2.0","id":1,"result":{"subscription":"1"}}"#.utf8)), .other)
        let truncated = #"{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"1","result":{"type":"block","block":{"hash":"00","header":{"height":"7"},"txs":[{"hash":"abc"#
        XCTAssertNil(BlockNotification.parse(Array(truncated.utf8)))
    }
}
