import LedgerCore
import XCTest

final class EpochBoundaryTests: XCTestCase {
    private func boundary(_ s: UInt64, window: UInt64 = 400, interval: UInt64 = 100) -> UInt64? {
        EpochBoundary.lastSequence(changeCommittedAt: SequenceNumber(s), window: window, checkpointInterval: interval)?.rawValue
    }

    func testTheBoundaryIsTheFirstCheckpointAtOrAfterTheWindow() {
        XCTAssertEqual(boundary(1), 500)
        XCTAssertEqual(boundary(100), 500)
        XCTAssertEqual(boundary(101), 600)
        XCTAssertEqual(boundary(0, window: 64, interval: 16), 64)
        XCTAssertEqual(boundary(17, window: 64, interval: 16), 96)
    }

    /// Every slot a replica may already have proposed when the change commits lies at or below the boundary.
    func testNoSlotThatMayBeInFlightLiesBeyondTheBoundary() {
        for s in UInt64(1)...300 {
            for (window, interval) in [(UInt64(64), UInt64(16)), (400, 100), (8, 2)] {
                guard let a = boundary(s, window: window, interval: interval) else { return XCTFail("no boundary for \(s)") }
                XCTAssertGreaterThanOrEqual(a, s - 1 + window, "s=\(s) W=\(window) K=\(interval)")
                XCTAssertEqual(a % interval, 0)
                XCTAssertLessThan(a, s + window + interval)
            }
        }
    }

    func testOverflowAndAZeroIntervalGiveNoBoundary() {
        XCTAssertNil(boundary(UInt64.max - 10))
        XCTAssertEqual(boundary(UInt64.max - 450), UInt64.max - 15)
        XCTAssertNil(boundary(UInt64.max - 410), "rounding up past the largest multiple overflows")
        XCTAssertNil(boundary(5, interval: 0))
    }
}
