// Test support: start a child process the way a shell would, with no signal blocked or ignored, and wait for it with a deadline.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child started by `spawnLikeAShell`.
///
/// Why not Foundation's `Process`: it starts the child with the signal mask of the spawning thread, and the
/// threads tests run on block nearly every signal (SIGCHLD, SIGTERM, SIGINT, SIGALRM…). A shell script run that
/// way cannot wait for its own children promptly, and a daemon cannot be stopped with SIGTERM; neither is what a
/// user gets from a terminal. This spawns with an empty mask and default dispositions.
public struct ShellChild: Sendable {
    /// The child's process id.
    public let pid: pid_t

    /// Waits until the child has exited, at most `timeout`; past it the child is SIGKILLed, a failure is recorded
    /// at the caller's line and a `WaitTimeout` naming `what` is thrown. Returns the exit status, or 128 + the
    /// signal number when a signal ended it (as a shell reports it).
    @discardableResult
    public func wait(_ what: String, timeout: Duration = .seconds(30), file: StaticString = #filePath, line: UInt = #line) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return Self.shellStatus(status) }
            if r < 0 { return -1 }
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)  // SIGKILL cannot be caught: this returns at once
        throw recordedTimeout("\(what) (killed process \(pid) with SIGKILL)", timeout: timeout, file: file, line: line)
    }

    private static func shellStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

/// Starts `executable` with `arguments`, standard output and error both written to `outputPath` (created or
/// truncated), standard input from /dev/null, every signal unblocked and at its default disposition.
public func spawnLikeAShell(_ executable: String, _ arguments: [String], outputPath: String) throws -> ShellChild {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EINVAL) }
    return ShellChild(pid: pid)
}
