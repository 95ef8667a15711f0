// Checks ConnectionTable's rules on their own, with the time passed in: the per-address and overall caps, and which connection a newcomer at the full cap evicts (the longest waiting on its client, from the address holding the most; never one being answered).
@testable import RPC
import XCTest

final class ConnectionTableTests: XCTestCase {
    private func admitted(_ decision: ConnectionTable.Decision, file: StaticString = #filePath, line: UInt = #line)
        -> (id: ConnectionTable.ID, evicted: ConnectionTable.ID?)? {
        guard case let .admit(id, evict) = decision else {
            XCTFail("refused: \(decision)", file: file, line: line)
            return nil
        }
        return (id, evict)
    }

    func testTheCapsRefuseWhenNothingIsWaitingAndReleaseFreesTheSlots() throws {
        var table = ConnectionTable(maxConnections: 3, maxPerAddress: 2)
        let a1 = try XCTUnwrap(admitted(table.admit(address: "a", nowNs: 1)))
        _ = try XCTUnwrap(admitted(table.admit(address: "a", nowNs: 2)))
        XCTAssertEqual(table.admit(address: "a", nowNs: 3), .refuse(.tooManyFromAddress))
        let b1 = try XCTUnwrap(admitted(table.admit(address: "b", nowNs: 4)))
        XCTAssertEqual(table.count, 3)
        // Every connection is being answered: nothing to evict, the newcomer is refused.
        for id: ConnectionTable.ID in 1...3 { table.setWaiting(id, since: nil) }
        XCTAssertNil(table.evictionCandidate())
        XCTAssertEqual(table.admit(address: "c", nowNs: 5), .refuse(.tooManyConnections))
        table.release(b1.id)
        table.release(b1.id)  // twice: ignored
        XCTAssertEqual(table.count, 2)
        XCTAssertEqual(try XCTUnwrap(admitted(table.admit(address: "c", nowNs: 6))).evicted, nil)
        table.release(a1.id)
        XCTAssertEqual(table.count(from: "a"), 1)
    }

    func testANewcomerAtTheCapEvictsTheLongestWaitingOfTheBusiestAddress() throws {
        var table = ConnectionTable(maxConnections: 6, maxPerAddress: 4)
        // "bot1" holds three, "bot2" two, "honest" one.
        let bot1 = try (0..<3).map { try XCTUnwrap(admitted(table.admit(address: "bot1", nowNs: 10 + UInt64($0)))).id }
        let bot2 = try (0..<2).map { try XCTUnwrap(admitted(table.admit(address: "bot2", nowNs: 1 + UInt64($0)))).id }
        let honest = try XCTUnwrap(admitted(table.admit(address: "honest", nowNs: 0))).id
        // bot1's oldest is being answered; its second has waited longest of what is left there.
        table.setWaiting(bot1[0], since: nil)
        XCTAssertEqual(table.evictionCandidate(), bot1[1], "not the busiest address's longest waiting connection")
        let first = try XCTUnwrap(admitted(table.admit(address: "new1", nowNs: 100)))
        XCTAssertEqual(first.evicted, bot1[1])
        XCTAssertEqual(table.count, 6)
        XCTAssertEqual(table.count(from: "bot1"), 2)
        // bot1 and bot2 now hold two each: the tie goes to the one that has waited longest (bot2's first, since 1).
        XCTAssertEqual(try XCTUnwrap(admitted(table.admit(address: "new2", nowNs: 101))).evicted, bot2[0])
        // bot1 holds the most (two): its only waiting one goes next, although "honest" has waited longer.
        XCTAssertEqual(try XCTUnwrap(admitted(table.admit(address: "new3", nowNs: 102))).evicted, bot1[2])
        // A released or evicted id reported late changes nothing.
        table.setWaiting(bot1[1], since: 0)
        XCTAssertEqual(table.count, 6)
        XCTAssertNotEqual(table.evictionCandidate(), bot1[1])
        _ = honest
    }

    func testAmongEqualAddressesTheConnectionThatWaitedLongestGoesFirst() throws {
        var table = ConnectionTable(maxConnections: 3, maxPerAddress: 1)
        let stalled = try XCTUnwrap(admitted(table.admit(address: "x", nowNs: 5))).id
        let prompt = try XCTUnwrap(admitted(table.admit(address: "y", nowNs: 1))).id
        _ = try XCTUnwrap(admitted(table.admit(address: "z", nowNs: 7)))
        // The prompt client connected first but has just been answered: it waits (idle) only since 50.
        table.setWaiting(prompt, since: 50)
        XCTAssertEqual(try XCTUnwrap(admitted(table.admit(address: "w", nowNs: 60))).evicted, stalled)
    }
}
