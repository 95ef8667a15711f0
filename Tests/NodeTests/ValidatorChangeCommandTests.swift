// Checks `ledger-node validators change` with the real binary, as operators would run it: a coordinator builds a
// change adding a fifth validator from its hand-over, three of the four operators approve their own copies, the
// coordinator combines them, and `show --genesis` accepts it only once a quorum approved; refusals name the problem
// and leave the file as it was.
import Foundation
import LedgerCore
import XCTest

final class ValidatorChangeCommandTests: XCTestCase {
    private var dir = ""
    private var binary = ""

    override func setUpWithError() throws {
        binary = try TestnetHarness.locateBinary()
        dir = NSTemporaryDirectory() + "valchange-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    private func node(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await TestnetHarness.runNodeCommand(binary: binary, arguments)
    }

    @discardableResult
    private func run(_ arguments: [String], status: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let result = try await node(arguments)
        XCTAssertEqual(result.status, status, "ledger-node \(arguments.joined(separator: " ")): \(result.output)", file: file, line: line)
        return result.output
    }

    func testOperatorsBuildApproveAndCombineAChange() async throws {
        try await run(["testnet", "--out", dir + "/net"])
        let genesis = dir + "/net/node0/genesis.json"
        try await run(["init", "--home", dir + "/joiner", "--p2p-address", "127.0.0.1:26610"])
        let change = dir + "/change.json"
        let made = try await run(["validators", "change", "new", "--out", change, "--genesis", genesis, "--epoch", "0",
                                  "--add-from", dir + "/joiner/validator.json"])
        XCTAssertTrue(made.contains("add ") && made.contains("127.0.0.1:26610"), made)

        // Each operator approves its own copy; two approvals are below the quorum of 3.
        var copies: [String] = []
        for i in 0..<3 {
            let copy = dir + "/copy\(i).json"
            try FileManager.default.copyItem(atPath: change, toPath: copy)
            try await run(["validators", "change", "approve", copy, "--home", dir + "/net/node\(i)"])
            copies.append(copy)
        }
        try await run(["validators", "change", "combine", change, copies[0], copies[1]])
        let short = try await run(["validators", "change", "show", change, "--genesis", genesis], status: 2)
        XCTAssertTrue(short.contains("accepted:   no: 2 of the current validators approved; the quorum is 3"), short)
        try await run(["validators", "change", "combine", change, copies[2]])
        let shown = try await run(["validators", "change", "show", change, "--genesis", genesis])
        XCTAssertTrue(shown.contains("approvals:  3") && shown.contains("accepted:   yes; the next set has 5 validators"), shown)
        let decoded = try ValidatorSetChange.load(from: change)
        XCTAssertEqual(decoded.approvals.count, 3)

        // An edited copy is refused when combined, and the target file is left as it was.
        let edited = dir + "/edited.json"
        let text = try String(contentsOfFile: copies[0], encoding: .utf8).replacingOccurrences(of: "26610", with: "26611")
        try text.write(toFile: edited, atomically: true, encoding: .utf8)
        let before = FileManager.default.contents(atPath: change)
        let refused = try await run(["validators", "change", "combine", change, edited], status: 1)
        XCTAssertTrue(refused.contains("does not match the change's content"), refused)
        XCTAssertEqual(FileManager.default.contents(atPath: change), before)

        // Removing two of four validators is refused before anyone signs.
        let keys = try Genesis.load(from: genesis).validators.map(\.publicKey.hex)
        let tooMany = dir + "/remove2.json"
        try await run(["validators", "change", "new", "--out", tooMany, "--chain-id", "ledger-testnet", "--epoch", "0",
                       "--remove", keys[0], "--remove", keys[1]])
        let removal = try await run(["validators", "change", "show", tooMany, "--genesis", genesis], status: 2)
        XCTAssertTrue(removal.contains("the new set would have 2 validators") || removal.contains("at most f = 1"), removal)
        let exists = try await run(["validators", "change", "new", "--out", tooMany, "--chain-id", "ledger-testnet", "--epoch", "0",
                                    "--remove", keys[0]], status: 1)
        XCTAssertTrue(exists.contains("exists"), exists)
    }
}
