/// The catalogue of issue 4: every event the product publishes, its priority and the versioned
/// payload object that carries it.
public enum NotificationEvent: String, CaseIterable, Sendable {
    case dirtyRateMeasure = "instance.dirty_rate.measure"
    case precheckAccept = "instance.live_migration_precheck.accept"
    case precheckThrottle = "instance.live_migration_precheck.throttle"
    case precheckReject = "instance.live_migration_precheck.reject"
    case throttleStart = "instance.live_migration_throttle.start"
    case throttleEnd = "instance.live_migration_throttle.end"
    case dirtyRingFault = "compute.dirty_ring.fault"

    /// `event_type`.
    public var eventType: String { rawValue }

    public var priority: NotificationPriority {
        switch self {
        case .precheckReject: .warn
        case .dirtyRingFault: .error
        default: .info
        }
    }

    /// `nova_object.name` of the versioned payload (namespace `nova-dirtyring`, version 1.0).
    public var versionedObjectName: String {
        switch self {
        case .dirtyRateMeasure: "DirtyRateMeasurementPayload"
        case .precheckAccept, .precheckThrottle, .precheckReject: "LiveMigrationPrecheckPayload"
        case .throttleStart, .throttleEnd: "LiveMigrationThrottlePayload"
        case .dirtyRingFault: "DirtyRingFaultPayload"
        }
    }

    public static let versionedPayloadVersion = "1.0"
}

/// Nova's two notification formats (`[notifications] notification_format`).
public enum NotificationFormat: String, CaseIterable, Sendable {
    /// Topics from `[oslo_messaging_notifications] topics` (default `notifications`), publisher
    /// `compute.<host>`, a flat payload: what Ceilometer reads.
    case unversioned
    /// Topics from `[notifications] versioned_notifications_topics` (default
    /// `versioned_notifications`), publisher `nova-compute:<host>`, a `nova_object` payload.
    case versioned

    public var defaultTopic: String {
        switch self {
        case .unversioned: "notifications"
        case .versioned: "versioned_notifications"
        }
    }

    public func publisherID(host: String) -> String {
        switch self {
        case .unversioned: "compute." + host
        case .versioned: "nova-compute:" + host
        }
    }

    /// The payload as this format carries the event's fields.
    public func payload(for event: NotificationEvent, data: OsloJSON) -> OsloJSON {
        switch self {
        case .unversioned: data
        case .versioned:
            VersionedPayload(name: event.versionedObjectName, version: NotificationEvent.versionedPayloadVersion,
                             data: data).json
        }
    }
}
