// Test support: runs the built `wallet` executable as a child process against a TestnetHarness network.
import Foundation
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
    static func runWallet(_ args: [String], environment: [String: String], stdin: String? = nil) throws -> WalletRun {
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
        // Read stderr on another thread while reading stdout here, so a chatty child cannot block on a full pipe.
        let errBox = DataBox()
        let errDone = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            errBox.data = errHandle.readDataToEndOfFile()
            errDone.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        let errData = errBox.data
        p.waitUntilExit()
        return WalletRun(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A hand-off cell for data read on another thread (written once before the semaphore, read after it).
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
