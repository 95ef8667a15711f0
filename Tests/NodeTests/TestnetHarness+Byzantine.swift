// Test support for Byzantine-validator tests: start a node with --byzantine and run the CLI to completion.
import Foundation
import TestSupport
import XCTest

extension TestnetHarness {
    /// Starts node `i` with `ledger-node start --byzantine strategies` (log in node.log); the caller kills it.
    func startByzantine(_ i: Int, strategies: String, extraArguments: [String] = []) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["start", "--home", result.homes[i], "--log-level", "info", "--byzantine", strategies] + extraArguments
        let logPath = result.homes[i] + "/node.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        p.standardOutput = log
        p.standardError = log
        try p.run()
        return p
    }

    /// Runs `ledger-node arguments…` to completion (at most `seconds`); returns its exit status and output.
    func runNodeCommand(_ arguments: [String], seconds: Double = 20) async throws -> (status: Int32, output: String) {
        try await Self.runNodeCommand(binary: binary, arguments, seconds: seconds)
    }

    /// Runs `ledger-node arguments…` (at most 60 s), asserts it exits with `status`, and returns its output.
    @discardableResult
    func node(_ arguments: [String], status: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let run = try await runNodeCommand(arguments, seconds: 60)
        XCTAssertEqual(run.status, status, "ledger-node \(arguments.joined(separator: " ")): \(run.output)", file: file, line: line)
        return run.output
    }

    /// Runs the `ledger-node` at `binary` with `arguments` to completion (at most `seconds`); returns its exit
    /// status and output (standard output and error together).
    static func runNodeCommand(binary: String, _ arguments: [String], seconds: Double = 20) async throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        try await waitForExit(p, "ledger-node \(arguments.joined(separator: " ")) to exit",
                              timeout: .milliseconds(Int64(seconds * 1000)), poll: .milliseconds(50))
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (p.terminationStatus, output)
    }

    /// Rewrites node `i`'s genesis.json with `"test_network": false` (a production-like chain).
    func markGenesisAsProduction(_ i: Int) throws {
        let path = result.homes[i] + "/genesis.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard var json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw HarnessError.rpc("genesis.json is not an object")
        }
        json["test_network"] = false
        try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: path))
    }
}
