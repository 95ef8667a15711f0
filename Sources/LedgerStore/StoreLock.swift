#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The exclusive claim of one `LedgerStore` on its database file: an advisory `flock` on a file
/// beside it (`<database>-lock`), taken before SQLite opens the database and held until the
/// store is closed or its process exits (the kernel releases it then, so a crash or `kill -9`
/// never leaves a stale lock behind).
///
/// Two nodes on one data directory would interleave their consensus logs and could sign
/// conflicting messages after a restart; with the lock the second one stops at start-up with
/// `.inUse`. Because no other store writes the file while the lock is held, the store's
/// in-memory accounts are the committed state without asking SQLite (`accounts(for:)`).
/// Readers outside the store (the `sqlite3` shell, backups) are not affected.
final class StoreLock: Sendable {
    /// The lock file.
    let path: String
    private let descriptor: Mutex<Int32>

    /// Takes the lock for the database at `databasePath`, or throws `.inUse` when another store
    /// (in this or another process) holds it.
    init(databasePath: String) throws(StoreError) {
        let path = databasePath + "-lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .cannotOpen(path: databasePath, reason: "cannot create its lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { throw .inUse(path: databasePath, holder: Self.holder(ofLockAt: path)) }
            throw .cannotOpen(path: databasePath, reason: "cannot lock \(path): \(String(cString: strerror(code)))")
        }
        // The holder's process id, for the operator who finds the file (informational only).
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.path = path
        self.descriptor = Mutex(fd)
    }

    /// The process id the lock's holder wrote into the file, if it reads as one and that process
    /// exists. Only ever shown to the operator, never acted on.
    static func holder(ofLockAt path: String) -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 16)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let digits = bytes[..<n].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard let pid = Int32(String(decoding: digits, as: UTF8.self)), pid > 0 else { return nil }
        // A holder killed with SIGKILL leaves its id behind; name only a process that exists.
        guard kill(pid, 0) == 0 || errno == EPERM else { return nil }
        return pid
    }

    /// Gives the lock up (idempotent). The file stays: removing it could let two later stores
    /// lock two different files of the same name.
    func release() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            _ = ftruncate(fd, 0)   // a later holder that writes no id must not be named as this process
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
