// Test support: a swift-log handler that keeps every line, so a test can check what was logged (and how often).
import Logging
import Synchronization

/// Keeps every line logged through its `logger(label:)`, for assertions.
public final class LogCapture: Sendable {
    /// One logged line.
    public struct Line: Sendable {
        public let level: Logger.Level
        public let message: String
        /// The line's metadata (the logger's and the call's), rendered as text.
        public let metadata: [String: String]
    }

    private let captured = Mutex<[Line]>([])

    public init() {}

    /// Every line so far, oldest first.
    public var lines: [Line] { captured.withLock { $0 } }

    /// The lines whose message is `message`.
    public func lines(_ message: String) -> [Line] { lines.filter { $0.message == message } }

    /// A logger writing here at `level` and above.
    public func logger(label: String, level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: label) { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ line: Line) { captured.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append(Line(level: event.level, message: "\(event.message)", metadata: all.mapValues { "\($0)" }))
        }
    }
}
