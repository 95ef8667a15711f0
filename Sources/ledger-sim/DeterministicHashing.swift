import Foundation

/// Makes Swift's `Hasher` use a fixed seed in this process, so that a seed replays exactly
/// even across processes (Swift seeds its hash function randomly per process, and any
/// iteration over a `Set` or `Dictionary` would otherwise differ between runs).
///
/// The runtime reads `SWIFT_DETERMINISTIC_HASHING` once at start-up, so when it is not set the
/// process re-executes itself with it set; the arguments are passed through unchanged.
enum DeterministicHashing {
    static let variable = "SWIFT_DETERMINISTIC_HASHING"

    static func ensure() {
        guard ProcessInfo.processInfo.environment[variable] == nil else { return }
        setenv(variable, "1", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv only returns on failure (no /proc, say): carry on with random hashing, and say so.
        FileHandle.standardError.write(
            Data("ledger-sim: warning: could not re-execute with \(variable)=1; replays across processes may differ\n".utf8))
    }
}
