import AMQPClient
import DirtyRingCore
import NotificationPublisher

/// Opens a notifier; see `dr_notifier_open` in dirtyring.h.
@c public func dr_notifier_open(
    _ configJSON: UnsafePointer<CChar>?,
    _ errorJSON: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> UnsafeMutableRawPointer? {
    errorJSON?.pointee = nil
    do {
        let settings = try NotifierSettings(json: try requestText(configJSON))
        return notifierHandles.register(try Notifier.open(settings))
    } catch {
        errorJSON?.pointee = exportString(ABIRequests.error(error))
        return nil
    }
}

/// Queues a notification; see `dr_notify` in dirtyring.h.
@c public func dr_notify(_ notifier: UnsafeMutableRawPointer?, _ requestJSON: UnsafePointer<CChar>?) -> UnsafeMutablePointer<CChar>? {
    do {
        let messages = try notifierHandles.object(notifier).notify(json: try requestText(requestJSON))
        // Written by hand: the hot path skips Foundation's encoder.
        return exportString("{\"ok\": {\"messages\": \(messages)}}")
    } catch {
        return exportString(ABIRequests.error(error))
    }
}

/// The notifier's state and log lines; see `dr_notifier_status` in dirtyring.h.
@c public func dr_notifier_status(_ notifier: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<CChar>? {
    exportString(ABIRequests.respond { () throws(DirtyRingError) -> NotifierStatus in
        try notifierHandles.object(notifier).status()
    })
}

/// Closes a notifier; see `dr_notifier_close` in dirtyring.h.
@c public func dr_notifier_close(_ notifier: UnsafeMutableRawPointer?, _ timeoutMilliseconds: UInt32) -> UnsafeMutablePointer<CChar>? {
    exportString(ABIRequests.respond { () throws(DirtyRingError) -> NotifierStatus in
        let target = try notifierHandles.object(notifier)
        notifierHandles.unregister(notifier)
        return target.close(timeout: .milliseconds(Int64(min(timeoutMilliseconds, 600_000))))
    })
}
