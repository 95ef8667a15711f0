// Test support: runs the built `wallet` executable as a child process against a TestnetHarness network.
import Foundation
import TestSupport
import XCTest

/// One finished `wallet` run.
struct WalletRun {
    var status: Int32
    var stdout: String
    var stderr: String

    /// stdout parsed as one JSON object (what `--json` promises), or nil.
    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }

    var summary: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

extension TestnetHarness {
    /// `wallet` next to `ledger-node` (swift build puts all products in one folder), or $WALLET_BIN.
    static func locateWalletBinary() throws -> String {
        if let env = ProcessInfo.processInfo.environment["WALLET_BIN"] { return env }
        let nodeBinary = try locateBinary()
        let path = (nodeBinary as NSString).deletingLastPathComponent + "/wallet"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw HarnessError.noBinary("wallet not found at \(path); build it with swift build --product wallet")
        }
        return path
    }

    /// Runs `wallet args…` with a clean environment (only PATH/HOME plus `environment`) and optional stdin text.
    /// A wallet still running after `timeout` is SIGKILLed and fails the test (it would otherwise hang it).
    static func runWallet(_ args: [String], environment: [String: String], stdin: String? = nil, timeout: Duration = .seconds(120),
                          file: StaticString = #filePath, line: UInt = #line) throws -> WalletRun {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try locateWalletBinary())
        p.arguments = args
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                   "HOME": NSTemporaryDirectory()]
        // A sanitized build's wallet reads its sanitizer options from the environment too; without them it runs with
        // the defaults (LeakSanitizer on) and exits 1 over reports the run chose to turn off.
        for key in ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"] { env[key] = ProcessInfo.processInfo.environment[key] }
        for (k, v) in environment { env[k] = v }
        p.environment = env
        p.currentDirectoryURL = URL(fileURLWithPath: NSTemporaryDirectory())
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        // Read stdout and stderr on other threads, so a chatty child cannot block on a full pipe, while this one
        // waits (bounded) for the child to exit.
        let outBox = DataBox(), errBox = DataBox()
        let readers = DispatchGroup()
        for (handle, box) in [(out.fileHandleForReading, outBox), (err.fileHandleForReading, errBox)] {
            readers.enter()
            DispatchQueue.global().async {
                box.data = handle.readDataToEndOfFile()
                readers.leave()
            }
        }
        try waitForExitSync(p, "wallet \(args.joined(separator: " ")) to exit", timeout: timeout, file: file, line: line)
        // The pipes' write ends closed with the child: the readers finish promptly.
        try waitUntilSync("the output of wallet \(args.joined(separator: " ")) to be read", file: file, line: line) {
            readers.wait(timeout: .now()) == .success
        }
        return WalletRun(status: p.terminationStatus, stdout: String(decoding: outBox.data, as: UTF8.self),
                         stderr: String(decoding: errBox.data, as: UTF8.self))
    }
}

/// A hand-off cell for data read on another thread (written once before the dispatch group is left, read after it).
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
