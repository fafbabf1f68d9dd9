import DirtyRingCore
import ThreadSupport

/// Runs blocking calls (libvirt RPCs, device I/O) with a deadline, so no caller can hang.
///
/// The call runs on its own thread. When the deadline passes first, the caller gets a `timeout`
/// error at once; the thread finishes on its own and its result is dropped.
public enum BoundedCall {
    /// Runs `body` and returns its result, or throws `timeout` after `seconds`.
    public static func run<T: Sendable>(
        _ operation: String,
        seconds: Double,
        _ body: @escaping @Sendable () throws(DirtyRingError) -> T
    ) throws(DirtyRingError) -> T {
        let call = PendingCall<T>(body)
        guard call.start() else {
            throw DirtyRingError(kind: .internal, message: "\(operation): cannot start a worker thread")
        }
        guard let result = call.wait(seconds: seconds) else {
            throw DirtyRingError(
                kind: .timeout, message: "\(operation) did not answer within \(secondsText(seconds)) s")
        }
        return try result.get()
    }
}

/// One call in flight: its body, and its result once known.
private final class PendingCall<T: Sendable>: @unchecked Sendable {
    let body: @Sendable () throws(DirtyRingError) -> T
    /// Guarded by `lock`.
    var outcome: Result<T, DirtyRingError>?
    let lock = ConditionLock()

    init(_ body: @escaping @Sendable () throws(DirtyRingError) -> T) {
        self.body = body
    }

    /// Starts the worker thread, which keeps this object alive until it finishes.
    func start() -> Bool {
        DetachedThread.start { self.finish(Result { () throws(DirtyRingError) -> T in try self.body() }) }
    }

    func finish(_ result: Result<T, DirtyRingError>) {
        lock.withLock {
            outcome = result
            lock.broadcast()
        }
    }

    /// Waits up to `seconds` for the result; nil when the deadline passed first.
    func wait(seconds: Double) -> Result<T, DirtyRingError>? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(max(0, min(seconds, 86_400))))
        return lock.withLock {
            while outcome == nil {
                let remaining = clock.now.duration(to: deadline)
                guard remaining > .zero else { break }
                lock.wait(for: remaining)
            }
            return outcome
        }
    }
}
