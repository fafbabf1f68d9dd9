import DirtyRingCore
import DirtyRingHost
import NotificationPublisher

/// Starts watching a migration; see `dr_migration_watch_start` in dirtyring.h.
@c public func dr_migration_watch_start(
    _ context: UnsafeMutableRawPointer?,
    _ notifier: UnsafeMutableRawPointer?,
    _ requestJSON: UnsafePointer<CChar>?,
    _ errorJSON: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> UnsafeMutableRawPointer? {
    errorJSON?.pointee = nil
    do {
        let host = try contextHandles.object(context)
        let request = try ABIRequests.decode(MigrationWatchRequest.self, from: try requestText(requestJSON))
        let watch = try host.watchMigration(request, notify: try notificationSink(notifier))
        return watchHandles.register(watch)
    } catch {
        errorJSON?.pointee = exportString(ABIRequests.error(error))
        return nil
    }
}

/// The watch's state; see `dr_migration_watch_status` in dirtyring.h.
@c public func dr_migration_watch_status(_ watch: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<CChar>? {
    exportString(ABIRequests.respond { () throws(DirtyRingError) -> MigrationWatchStatus in
        try watchHandles.object(watch).status()
    })
}

/// Stops a watch and lifts its throttles; see `dr_migration_watch_stop` in dirtyring.h.
@c public func dr_migration_watch_stop(
    _ watch: UnsafeMutableRawPointer?, _ result: UnsafePointer<CChar>?, _ timeoutMilliseconds: UInt32
) -> UnsafeMutablePointer<CChar>? {
    exportString(ABIRequests.respond { () throws(DirtyRingError) -> MigrationWatchReport in
        let outcome = try requestText(result)
        guard ["completed", "failed", "aborted"].contains(outcome) else {
            throw DirtyRingError(kind: .invalidRequest, message: "result '\(outcome)' must be completed, failed or aborted")
        }
        let target = try watchHandles.object(watch)
        watchHandles.unregister(watch)
        return target.stop(result: outcome, timeout: .milliseconds(Int64(min(timeoutMilliseconds, 600_000))))
    })
}

/// Ends the throttles left by an earlier run; see `dr_throttles_lift_leftovers` in dirtyring.h.
@c public func dr_throttles_lift_leftovers(
    _ context: UnsafeMutableRawPointer?, _ notifier: UnsafeMutableRawPointer?
) -> UnsafeMutablePointer<CChar>? {
    exportString(ABIRequests.respond { () throws(DirtyRingError) -> [LeftoverThrottle] in
        let host = try contextHandles.object(context)
        return host.liftLeftoverThrottles(notify: try notificationSink(notifier))
    })
}

/// Where the throttle notifications go: the notifier, or nowhere when it is NULL.
private func notificationSink(_ notifier: UnsafeMutableRawPointer?) throws(DirtyRingError) -> @Sendable (String) -> Void {
    guard notifier != nil else { return { _ in } }
    let target = try notifierHandles.object(notifier)
    return { request in _ = try? target.notify(json: request) }
}
