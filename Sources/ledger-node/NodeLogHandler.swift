import Foundation
import Logging

/// The node's log lines on standard error, in swift-log's stream format
/// (`2026-11-25T22:05:22+0000 info ledger-node: key=value [Module] message`).
///
/// Unlike `StreamLogHandler`, which re-renders all metadata every time one key is set, this
/// renders metadata only when a line is actually written. The RPC server's request loggers set
/// metadata on every request, so the eager rendering cost ~4 % of the CPU at high request rates
/// even with those loggers silenced.
struct NodeLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit { all.merge(explicit) { _, new in new } }
        let rendered = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = "\(Self.timestamp()) \(level) \(label) :\(rendered) [\(source)] \(message)\n"
        // One write(2) per line: lines from different threads never interleave (stderr is
        // unbuffered; the log file is opened for appending).
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { if n < 0 && errno == EINTR { continue } else { break } }
                offset += n
            }
        }
    }

    /// Local time with offset, to the second (the stream handler's format).
    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 32)
        let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
