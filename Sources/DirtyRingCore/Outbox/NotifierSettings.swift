/// Everything the notifier needs, from what `dr_notifier_open` is given: Nova's notification
/// options (`NotificationConfig.init(options:)`), `[DEFAULT] transport_url`, the
/// `[oslo_messaging_rabbit]` options, the host name and the spool.
///
/// `{"host": "cmp-1", "notifications": {...}, "default_transport_url": "rabbit://..."|null,
///   "rabbit": {...}, "spool_dir": "/var/lib/nova-dirtyring/notification-spool",
///   "spool_max_bytes": 16777216, "connection_name": "..."}`
public struct NotifierSettings: Sendable {
    public static let spoolDirectoryOption = "[dirtyring] notification_spool_dir"
    public static let spoolCapacityOption = "[dirtyring] notification_spool_max_mb"
    /// 1 MiB: room for hundreds of notifications, no less.
    public static let minimumSpoolBytes = 1 << 20

    /// `[DEFAULT] host`: the publisher is `compute.<host>` / `nova-compute:<host>`.
    public var host: String
    public var config: NotificationConfig
    /// The URL in force: `[oslo_messaging_notifications] transport_url`, else `[DEFAULT]`'s.
    public var transportURL: TransportURL
    /// `[oslo_messaging_rabbit]` with the URL's query overrides applied.
    public var rabbit: RabbitOptions
    /// An absolute path.
    public var spoolDirectory: String
    public var spoolCapacityBytes: Int
    /// Shown by RabbitMQ for the publisher's connection.
    public var connectionName: String
    /// Why nothing is published although Nova publishes notifications (a transport that is not
    /// RabbitMQ, e.g. kafka:// for notifications); nil when publishing.
    public var unpublishedReason: String?

    /// Whether the notifier publishes anything.
    public var publishes: Bool { config.publishes && unpublishedReason == nil }

    public init(json text: String) throws(DirtyRingError) {
        let request = try OsloJSONParser.parse(text)
        guard case .object = request else {
            throw DirtyRingError(kind: .invalidRequest, message: "the notifier configuration must be a JSON object")
        }
        guard case .string(let host)? = request["host"], !host.isEmpty else {
            throw DirtyRingError(kind: .invalidConfig, message: "[DEFAULT] host must not be empty", option: "[DEFAULT] host",
                                 value: "")
        }
        self.host = host
        var options = request["notifications"] ?? .object([])
        if case .object(let members) = options, case .string(let text)? = options["transport_url"],
           case let scheme = text.prefix(while: { $0 != ":" }).lowercased(), !text.isEmpty,
           !TransportURL.schemes.contains(scheme) {
            options = .object(members.filter { $0.0 != "transport_url" })
            unpublishedReason = "[oslo_messaging_notifications] transport_url is a \(scheme):// transport, not "
                + "RabbitMQ: the dirty-ring notifications are not published"
        }
        config = try NotificationConfig(options: options)
        var url = config.transportURL
        if url == nil, unpublishedReason == nil, config.publishes, case .string(let text)? = request["default_transport_url"], !text.isEmpty {
            let scheme = text.prefix { $0 != ":" }.lowercased()
            if TransportURL.schemes.contains(scheme) {
                url = try TransportURL.parse(text, option: "[DEFAULT] transport_url")
            } else {
                unpublishedReason = "[DEFAULT] transport_url is a \(scheme):// transport, not RabbitMQ: "
                    + "the dirty-ring notifications are not published"
            }
        }
        if url == nil { url = try TransportURL.parse("rabbit://", option: "[DEFAULT] transport_url") }
        guard let url else { throw DirtyRingError(kind: .internal, message: "no transport_url") }
        transportURL = url
        rabbit = try RabbitOptions(options: request["rabbit"] ?? .object([])).overridden(by: transportURL)
        config.queue = rabbit.queue
        _ = try config.queue.queueArguments()

        guard case .string(let directory)? = request["spool_dir"], directory.hasPrefix("/"),
              !directory.utf8.contains(0)
        else {
            let value: String
            if case .string(let text)? = request["spool_dir"] { value = text } else { value = "" }
            throw DirtyRingError(kind: .invalidConfig, message: "must be an absolute path",
                                 option: Self.spoolDirectoryOption, value: value)
        }
        spoolDirectory = directory
        guard case .integer(let capacity)? = request["spool_max_bytes"], capacity >= Self.minimumSpoolBytes else {
            throw DirtyRingError(kind: .invalidConfig, message: "must be at least 1 (MiB)",
                                 option: Self.spoolCapacityOption, value: request["spool_max_bytes"]?.serialized ?? "")
        }
        spoolCapacityBytes = capacity
        if case .string(let name)? = request["connection_name"], !name.utf8.contains(0) {
            connectionName = name
        } else {
            connectionName = ""
        }
    }
}
