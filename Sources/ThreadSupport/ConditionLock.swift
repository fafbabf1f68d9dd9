#if canImport(Glibc)
import Glibc
#endif

/// A mutex with one condition variable whose timed waits use the monotonic clock.
public final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the mutex held.
    public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Wakes every waiter. Call with the mutex held (inside `withLock`).
    public func broadcast() {
        pthread_cond_broadcast(condition)
    }

    /// Waits until woken or `duration` passed; may wake early. Call with the mutex held
    /// (inside `withLock`).
    public func wait(for duration: Duration) {
        let (seconds, attoseconds) = duration.components
        wait(seconds: Double(seconds) + Double(attoseconds) * 1e-18)
    }

    /// Waits until woken or `seconds` passed; may wake early. Call with the mutex held
    /// (inside `withLock`).
    public func wait(seconds: Double) {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let bounded = max(0, min(seconds, 86_400))
        let whole = Int(bounded)
        let nanoseconds = deadline.tv_nsec + Int((bounded - Double(whole)) * 1e9)
        deadline.tv_sec += whole + nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        _ = pthread_cond_timedwait(condition, mutex, &deadline)
    }
}
