import DirtyRingCore
import DirtyRingHost
import Synchronization

/// The contexts handed out through the C ABI.
///
/// A handle is looked up before use, so a stale, foreign or twice-closed handle is an error, not
/// a crash.
final class ContextHandles: Sendable {
    static let shared = ContextHandles()

    private let live = Mutex<[UInt: HostContext]>([:])

    func register(_ context: HostContext) -> UnsafeMutableRawPointer {
        let pointer = Unmanaged.passUnretained(context).toOpaque()
        live.withLock { $0[UInt(bitPattern: pointer)] = context }
        return pointer
    }

    func unregister(_ handle: UnsafeMutableRawPointer?) {
        guard let handle else { return }
        _ = live.withLock { $0.removeValue(forKey: UInt(bitPattern: handle)) }
    }

    func context(_ handle: UnsafeMutableRawPointer?) throws(DirtyRingError) -> HostContext {
        guard let handle else {
            throw DirtyRingError(kind: .invalidRequest, message: "context is NULL")
        }
        guard let context = live.withLock({ $0[UInt(bitPattern: handle)] }) else {
            throw DirtyRingError(kind: .invalidRequest, message: "context is not open (closed twice, or never opened)")
        }
        return context
    }
}
