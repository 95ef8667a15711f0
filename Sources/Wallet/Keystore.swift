#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LedgerCore
import LedgerCrypto

/// The public facts of one stored key (readable without the passphrase).
public struct KeyInfo: Equatable, Sendable {
    /// The key's name.
    public var name: KeyName
    /// Its account address.
    public var address: Address
    /// The key file.
    public var path: String

    /// Facts from their parts.
    public init(name: KeyName, address: Address, path: String) {
        self.name = name
        self.address = address
        self.path = path
    }
}

/// A folder of encrypted keys, one `NAME.json` file per key (mode 0600, folder 0700).
///
/// Files are written to a temporary name, flushed, then hard-linked into place, so a key file is either
/// complete or absent and an existing key is never overwritten.
public struct Keystore: Sendable {
    /// The folder holding the key files.
    public let folder: String

    /// A keystore in `folder` (created on first write).
    public init(folder: String) {
        self.folder = folder
    }

    /// `--keystore` if given, else `LEDGER_KEYSTORE`, else `~/.ledger/keys`.
    public static func defaultFolder(option: String?, environment: [String: String]) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment["LEDGER_KEYSTORE"], !env.isEmpty { return env }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "."
        return home + "/.ledger/keys"
    }

    /// The file of key `name`.
    public func path(for name: KeyName) -> String {
        (folder.hasSuffix("/") ? folder : folder + "/") + name.value + ".json"
    }

    /// `true` if a key of that name exists.
    public func contains(_ name: KeyName) -> Bool {
        access(path(for: name), F_OK) == 0
    }

    /// Creates key `name` from `seed` (or a fresh random one) encrypted under `passphrase`.
    @discardableResult
    public func create(
        name: KeyName, seed: [UInt8]? = nil, passphrase: [UInt8], strength: KDFStrength
    ) throws(KeystoreError) -> KeyInfo {
        let key: SigningKey
        if let seed {
            do { key = try SigningKey(seed: seed) } catch { throw .invalidSeed(reason: "\(error)") }
        } else {
            key = SigningKey.generate()
        }
        let target = path(for: name)
        if access(target, F_OK) == 0 { throw .keyExists(name: name.value, path: target) }
        let file = try KeyFile.seal(key: key, name: name, passphrase: passphrase, strength: strength)
        try ensureFolder()
        try writeNew(Array((file.json().serialized(pretty: true) + "\n").utf8), to: target, name: name)
        return KeyInfo(name: name, address: file.address, path: target)
    }

    /// The stored key file of `name` (no passphrase needed).
    public func load(_ name: KeyName) throws(KeystoreError) -> KeyFile {
        let p = path(for: name)
        let bytes = try readFile(p, name: name)
        let file = try KeyFile.decode(bytes, path: p)
        guard file.name == name else {
            throw .corruptFile(path: p, reason: "the file names key '\(file.name)', not '\(name)'")
        }
        return file
    }

    /// Public facts of key `name`.
    public func info(_ name: KeyName) throws(KeystoreError) -> KeyInfo {
        let file = try load(name)
        return KeyInfo(name: name, address: file.address, path: path(for: name))
    }

    /// Decrypts key `name`.
    public func unlock(_ name: KeyName, passphrase: [UInt8]) throws(KeystoreError) -> SigningKey {
        try load(name).unlock(passphrase: passphrase, path: path(for: name))
    }

    /// Every readable key, sorted by name, plus the files that could not be read (and why).
    public func list() throws(KeystoreError) -> (keys: [KeyInfo], problems: [KeystoreError]) {
        guard let dir = opendir(folder) else {
            if errno == ENOENT { return ([], []) }
            throw .fileSystem(path: folder, operation: "opening folder", errno: errno)
        }
        defer { closedir(dir) }
        var names: [KeyName] = []
        while let entry = readdir(dir), names.count < WalletLimits.keystoreMaxEntries {
            let fileName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard fileName.hasSuffix(".json") else { continue }
            if let name = try? KeyName(String(fileName.dropLast(5))) { names.append(name) }
        }
        var keys: [KeyInfo] = []
        var problems: [KeystoreError] = []
        for name in names.sorted() {
            do { keys.append(try info(name)) } catch { problems.append(error) }
        }
        return (keys, problems)
    }

    /// Removes key `name` (its file). There is no undo.
    public func delete(_ name: KeyName) throws(KeystoreError) {
        let p = path(for: name)
        guard unlink(p) == 0 else {
            if errno == ENOENT { throw .keyNotFound(name: name.value, folder: folder) }
            throw .fileSystem(path: p, operation: "deleting", errno: errno)
        }
    }

    // MARK: Files

    /// Creates the folder (and missing parents) with mode 0700.
    private func ensureFolder() throws(KeystoreError) {
        var prefix = folder.hasPrefix("/") ? "/" : ""
        for part in folder.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw .fileSystem(path: prefix, operation: "creating folder", errno: errno)
            }
            prefix += "/"
        }
    }

    private func writeNew(_ bytes: [UInt8], to target: String, name: KeyName) throws(KeystoreError) {
        let temporary = folder + "/.\(name.value).\(getpid()).\(Hex.encode(SecureRandom.bytes(count: 4))).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw .fileSystem(path: temporary, operation: "creating", errno: errno) }
        defer { unlink(temporary) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                throw .fileSystem(path: temporary, operation: "writing", errno: code)
            }
            written += n
        }
        // The mode given to open() is filtered by the umask; make sure it is exactly 0600.
        if fchmod(fd, 0o600) != 0 || fsync(fd) != 0 {
            let code = errno
            close(fd)
            throw .fileSystem(path: temporary, operation: "flushing", errno: code)
        }
        close(fd)
        guard link(temporary, target) == 0 else {
            if errno == EEXIST { throw .keyExists(name: name.value, path: target) }
            throw .fileSystem(path: target, operation: "creating", errno: errno)
        }
        let dirFD = open(folder, O_RDONLY)
        if dirFD >= 0 { _ = fsync(dirFD); close(dirFD) }
    }

    private func readFile(_ p: String, name: KeyName) throws(KeystoreError) -> [UInt8] {
        let fd = open(p, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { throw .keyNotFound(name: name.value, folder: folder) }
            throw .fileSystem(path: p, operation: "opening", errno: errno)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .fileSystem(path: p, operation: "reading", errno: errno)
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
            if out.count > WalletLimits.keyFileMaxBytes {
                throw .corruptFile(path: p, reason: "larger than \(WalletLimits.keyFileMaxBytes) bytes")
            }
        }
        return out
    }
}
