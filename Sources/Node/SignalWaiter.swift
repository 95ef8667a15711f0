import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Catches SIGINT and SIGTERM from creation on; `wait()` returns the first one.
// @unchecked: `sources` is written once in init and only kept alive afterwards.
public final class SignalWaiter: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]
    private let stream: AsyncStream<Int32>

    /// Starts catching SIGINT and SIGTERM (their default action is ignored from now on).
    public init() {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// The first signal caught (waits for it).
    public func wait() async -> Int32 {
        for await sig in stream { return sig }
        return 0
    }
}
