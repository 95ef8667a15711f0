import Synchronization

/// Runs `operation` and returns its result, or `nil` once `milliseconds` have passed, whichever comes first.
///
/// At the deadline the operation is cancelled but not awaited, so the caller gets its answer on time even
/// when the operation does not react to cancellation (a lost promise deep in a networking stack would
/// otherwise hold the caller forever). Cancelling the caller cancels the operation.
func withHardDeadline<T: Sendable>(milliseconds: Int64, _ operation: @escaping @Sendable () async -> T) async -> T? {
    let work = Task { await operation() }
    return await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let race = DeadlineRace(continuation)
            let timer = Task {
                try? await Task.sleep(for: .milliseconds(milliseconds))
                guard !Task.isCancelled else { return }
                race.finish(nil)
                work.cancel()
            }
            Task {
                let value = await work.value
                race.finish(value)
                timer.cancel()
            }
        }
    } onCancel: {
        work.cancel()
    }
}

/// The continuation of `withHardDeadline`, resumed by whichever of the work and the timer finishes first.
private final class DeadlineRace<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T?, Never>?>

    init(_ continuation: CheckedContinuation<T?, Never>) {
        self.continuation = Mutex(continuation)
    }

    func finish(_ value: T?) {
        let waiting = continuation.withLock { slot in
            let taken = slot
            slot = nil
            return taken
        }
        waiting?.resume(returning: value)
    }
}
