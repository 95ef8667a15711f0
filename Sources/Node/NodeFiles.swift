import Foundation

/// Small-file helpers for the node home (bounded reads, explicit modes).
public enum NodeFiles {
    /// Reads a small file (config, key), refusing anything above `NodeLimits.smallFileMaxBytes`.
    public static func read(_ path: String) throws(NodeError) -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .file(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: NodeLimits.smallFileMaxBytes + 1) ?? Data() } catch {
            throw .file(path: path, reason: "\(error)")
        }
        if data.count > NodeLimits.smallFileMaxBytes {
            throw .file(path: path, reason: "larger than \(NodeLimits.smallFileMaxBytes) bytes")
        }
        return data
    }

    /// Writes `data` to `path` with POSIX permissions `mode` (created with that mode, never world-readable first).
    public static func write(_ data: Data, to path: String, mode: Int) throws(NodeError) {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw .file(path: dir, reason: "\(error)")
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode_t(mode))
        guard fd >= 0 else { throw .file(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        _ = fchmod(fd, mode_t(mode))
        let ok = data.withUnsafeBytes { buf -> Bool in
            var offset = 0
            while offset < buf.count {
                let n = Foundation.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        if !ok { throw .file(path: path, reason: String(cString: strerror(errno))) }
    }

    /// `path` resolved against `home` unless it is absolute.
    public static func resolve(_ path: String, home: String) -> String {
        path.hasPrefix("/") ? path : (home as NSString).appendingPathComponent(path)
    }

    /// A one-line description of a JSON decoding error.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, _): "missing key \"\(key.stringValue)\""
        case let DecodingError.typeMismatch(_, ctx): "wrong type at \(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)"
        case let DecodingError.valueNotFound(_, ctx): "missing value at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))"
        case let DecodingError.dataCorrupted(ctx): "not valid JSON: \(ctx.debugDescription)"
        default: "\(error)"
        }
    }
}
