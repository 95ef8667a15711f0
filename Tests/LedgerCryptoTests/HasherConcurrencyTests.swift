// Hammers the incremental hasher and the Merkle code from several threads at once and checks every result against the one-shot hash, so a lifetime bug in the hasher's C state (double free, use after free) shows up as a crash or a mismatch here.
import Foundation
import LedgerCrypto
import XCTest

final class HasherConcurrencyTests: XCTestCase {
    func testIncrementalHashingFromManyThreadsMatchesOneShot() {
        let inputs: [[UInt8]] = (0..<64).map { i in (0..<(i * 7)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) } }
        let expected = inputs.map { Hash.blake2b256($0) }
        let leaves = expected
        let root = Merkle.root(leaves)
        let mismatches = Counter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for round in 0..<400 {
                let i = (worker * 13 + round) % inputs.count
                var h = Hasher256()
                let half = inputs[i].count / 2
                h.update(Array(inputs[i][..<half]))
                h.update(Array(inputs[i][half...]))
                if h.finalize() != expected[i] { mismatches.add() }
                if round % 50 == 0, Merkle.root(leaves) != root { mismatches.add() }
            }
        }
        XCTAssertEqual(mismatches.value, 0)
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func add() { lock.lock(); count += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    }
}
