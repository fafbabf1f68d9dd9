/// Nova's notification configuration, as it decides what goes on the broker:
/// `[oslo_messaging_notifications] driver, topics, retry`, `[notifications] notification_format,
/// versioned_notifications_topics`, `[DEFAULT] control_exchange` and the queue flags of
/// `[oslo_messaging_rabbit]`. Defaults are Nova's and oslo's.
public struct NotificationConfig: Equatable, Sendable {
    /// `[notifications] notification_format`.
    public enum FormatSetting: String, CaseIterable, Sendable {
        case unversioned, versioned, both

        public var formats: [NotificationFormat] {
            switch self {
            case .unversioned: [.unversioned]
            case .versioned: [.versioned]
            case .both: [.unversioned, .versioned]
            }
        }
    }

    /// `[oslo_messaging_notifications] driver`, in order; empty sends nothing.
    public var drivers: [NotificationDriver] = []
    /// `[oslo_messaging_notifications] topics`.
    public var topics = ["notifications"]
    /// `[oslo_messaging_notifications] retry`: -1 retries forever (we spool instead), 0 never.
    public var retry = -1
    public var notificationFormat = FormatSetting.unversioned
    /// `[notifications] versioned_notifications_topics`.
    public var versionedTopics = ["versioned_notifications"]
    public var controlExchange = "nova"
    /// `[oslo_messaging_notifications] transport_url`; nil: Nova's `[DEFAULT] transport_url`.
    public var transportURL: TransportURL?
    public var queue = NotificationQueueOptions()

    public init() {}

    /// The drivers that publish, each once, in order.
    public var publishingDrivers: [NotificationDriver] {
        var result: [NotificationDriver] = []
        for driver in drivers where driver.publishes && !result.contains(driver) {
            result.append(driver)
        }
        return result
    }

    /// Whether Nova would put anything on the broker at all.
    public var publishes: Bool {
        !publishingDrivers.isEmpty && notificationFormat.formats.contains { !topics(for: $0).isEmpty }
    }

    /// How many messages one event becomes: one per format, publishing driver and topic.
    public var messagesPerNotification: Int {
        notificationFormat.formats.reduce(0) { $0 + publishingDrivers.count * topics(for: $1).count }
    }

    public func topics(for format: NotificationFormat) -> [String] {
        switch format {
        case .unversioned: topics
        case .versioned: versionedTopics
        }
    }
}
