#if canImport(Glibc)
import Glibc
#endif

/// A detached thread running one closure.
public final class DetachedThread {
    let work: () -> Void

    private init(_ work: @escaping () -> Void) {
        self.work = work
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
