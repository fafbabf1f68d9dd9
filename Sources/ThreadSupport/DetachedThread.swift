#if canImport(Glibc)
import Glibc
#endif

/// A detached thread running one closure.
public final class DetachedThread {
    let work: () -> Void

    private init(_ work: @escaping () -> Void) {
        self.work = work
    }

    /// Lowers the calling thread's scheduling priority by `niceness` (Linux threads have their
    /// own nice value): background work then yields the CPU to the caller's own threads.
    public static func lowerPriority(by niceness: Int32) {
        var buffer = [CChar](repeating: 0, count: 64)
        let count = readlink("/proc/thread-self", &buffer, buffer.count - 1)
        guard count > 0 else { return }
        let link = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let last = link.split(separator: "/").last, let thread = Int32(last) else { return }
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        _ = setpriority(which, id_t(thread), getpriority(which, id_t(thread)) + niceness)
    }

    /// Starts `work` on a new detached thread; false when no thread could be created.
    public static func start(_ work: @escaping () -> Void) -> Bool {
        var thread = pthread_t()
        let retained = Unmanaged.passRetained(DetachedThread(work)).toOpaque()
        let created = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<DetachedThread>.fromOpaque(argument).takeRetainedValue().work()
            return nil
        }, retained)
        guard created == 0 else {
            Unmanaged<DetachedThread>.fromOpaque(retained).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
