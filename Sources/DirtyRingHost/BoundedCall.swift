#if canImport(Glibc)
import Glibc
#endif
import DirtyRingCore

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
                kind: .timeout, message: "\(operation) did not answer within \(formatSeconds(seconds)) s")
        }
        return try result.get()
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// One call in flight: its body, its result once known, and a condition to wait on.
private final class PendingCall<T: Sendable>: @unchecked Sendable {
    let body: @Sendable () throws(DirtyRingError) -> T
    /// Guarded by `mutex`.
    var outcome: Result<T, DirtyRingError>?
    var mutex = pthread_mutex_t()
    var condition = pthread_cond_t()

    init(_ body: @escaping @Sendable () throws(DirtyRingError) -> T) {
        self.body = body
        pthread_mutex_init(&mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(&condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(&condition)
        pthread_mutex_destroy(&mutex)
    }

    /// Starts the worker thread, which keeps this object alive until it finishes.
    func start() -> Bool {
        WorkerThread.start { self.finish(Result { () throws(DirtyRingError) -> T in try self.body() }) }
    }

    func finish(_ result: Result<T, DirtyRingError>) {
        pthread_mutex_lock(&mutex)
        outcome = result
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    /// Waits up to `seconds` for the result; nil when the deadline passed first.
    func wait(seconds: Double) -> Result<T, DirtyRingError>? {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let bounded = max(0, min(seconds, 86_400))
        let whole = Int(bounded)
        let nanos = deadline.tv_nsec + Int((bounded - Double(whole)) * 1e9)
        deadline.tv_sec += whole + nanos / 1_000_000_000
        deadline.tv_nsec = nanos % 1_000_000_000

        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while true {
            if let outcome { return outcome }
            if pthread_cond_timedwait(&condition, &mutex, &deadline) == ETIMEDOUT {
                return outcome
            }
        }
    }
}

/// A detached thread running one closure.
private final class WorkerThread {
    let work: () -> Void

    private init(_ work: @escaping () -> Void) {
        self.work = work
    }

    /// Starts `work` on a new detached thread; false when no thread could be created.
    static func start(_ work: @escaping () -> Void) -> Bool {
        var thread = pthread_t()
        let retained = Unmanaged.passRetained(WorkerThread(work)).toOpaque()
        let created = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<WorkerThread>.fromOpaque(argument).takeRetainedValue().work()
            return nil
        }, retained)
        guard created == 0 else {
            Unmanaged<WorkerThread>.fromOpaque(retained).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
