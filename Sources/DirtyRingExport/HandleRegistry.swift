import DirtyRingCore
import DirtyRingHost
import NotificationPublisher
import Synchronization

/// The objects handed out through the C ABI as opaque handles.
///
/// A handle is looked up before use, so a stale, foreign or twice-closed handle is an error, not
/// a crash.
final class HandleRegistry<Object: AnyObject & Sendable>: Sendable {
    private let what: String
    private let live = Mutex<[UInt: Object]>([:])

    init(_ what: String) {
        self.what = what
    }

    func register(_ object: Object) -> UnsafeMutableRawPointer {
        let pointer = Unmanaged.passUnretained(object).toOpaque()
        live.withLock { $0[UInt(bitPattern: pointer)] = object }
        return pointer
    }

    /// Forgets the handle; returns its object, nil when it was not registered.
    @discardableResult
    func unregister(_ handle: UnsafeMutableRawPointer?) -> Object? {
        guard let handle else { return nil }
        return live.withLock { $0.removeValue(forKey: UInt(bitPattern: handle)) }
    }

    func object(_ handle: UnsafeMutableRawPointer?) throws(DirtyRingError) -> Object {
        guard let handle else {
            throw DirtyRingError(kind: .invalidRequest, message: "\(what) is NULL")
        }
        guard let object = live.withLock({ $0[UInt(bitPattern: handle)] }) else {
            throw DirtyRingError(kind: .invalidRequest, message: "\(what) is not open (closed twice, or never opened)")
        }
        return object
    }
}

/// The open contexts (`dr_context_open`).
let contextHandles = HandleRegistry<HostContext>("context")
/// The open notifiers (`dr_notifier_open`).
let notifierHandles = HandleRegistry<Notifier>("notifier")
/// The running migration watches (`dr_migration_watch_start`).
let watchHandles = HandleRegistry<MigrationWatch>("migration watch")
