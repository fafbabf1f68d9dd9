extension NotificationConfig {
    /// The option each key of `init(options:)` stands for, with its group.
    public static let optionGroups: [String: String] = [
        "driver": "oslo_messaging_notifications", "topics": "oslo_messaging_notifications",
        "retry": "oslo_messaging_notifications", "transport_url": "oslo_messaging_notifications",
        "notification_format": "notifications", "versioned_notifications_topics": "notifications",
        "control_exchange": "DEFAULT", "amqp_durable_queues": "oslo_messaging_rabbit",
        "amqp_auto_delete": "oslo_messaging_rabbit", "rabbit_ha_queues": "oslo_messaging_rabbit",
        "rabbit_quorum_queue": "oslo_messaging_rabbit", "rabbit_quorum_delivery_limit": "oslo_messaging_rabbit",
        "rabbit_quorum_max_memory_length": "oslo_messaging_rabbit",
        "rabbit_quorum_max_memory_bytes": "oslo_messaging_rabbit",
    ]

    /// Nova's option values as oslo.config holds them (lists as JSON arrays or comma-separated
    /// strings, booleans and integers as JSON values or their oslo.config spellings), keyed by
    /// option name; absent keys keep the defaults. `transport_url`'s query overrides the queue
    /// flags as it does in oslo. Errors name `[group] option`; a `transport_url` appears only
    /// redacted.
    public init(options: OsloJSON) throws(DirtyRingError) {
        self.init()
        guard case .object(let members) = options else {
            throw DirtyRingError(kind: .invalidRequest, message: "the notification options must be a JSON object")
        }
        for (key, value) in members {
            guard let group = Self.optionGroups[key] else {
                throw DirtyRingError(kind: .invalidRequest, message: "unknown notification option '\(key)'")
            }
            let option = "[\(group)] \(key)"
            func invalid(_ why: String) -> DirtyRingError {
                DirtyRingError(kind: .invalidConfig, message: "\(option) \(why)", option: option,
                               value: key == "transport_url" ? nil : Self.text(value))
            }
            switch key {
            case "driver":
                guard let names = Self.list(value) else { throw invalid("must be a list of driver names") }
                drivers = names.map(NotificationDriver.init(name:))
            case "topics", "versioned_notifications_topics":
                guard let names = Self.list(value), names.allSatisfy({ !$0.isEmpty }) else {
                    throw invalid("must be a list of topic names")
                }
                if key == "topics" { topics = names } else { versionedTopics = names }
            case "retry":
                guard case .integer(let number)? = RabbitOptions.value(value, as: .integer(minimum: nil, maximum: nil)) else {
                    throw invalid("must be an integer")
                }
                retry = number
            case "notification_format":
                guard case .string(let text) = value, let setting = FormatSetting(rawValue: text) else {
                    throw invalid("must be one of unversioned, versioned, both")
                }
                notificationFormat = setting
            case "control_exchange":
                guard case .string(let text) = value, !text.isEmpty, text.utf8.count <= 255 else {
                    throw invalid("must be an exchange name of 1 to 255 bytes")
                }
                controlExchange = text
            case "transport_url":
                guard case .string(let text) = value else { throw invalid("must be a string") }
                if !text.isEmpty { transportURL = try TransportURL.parse(text, option: option) }
            default:
                guard let kind = RabbitOptions.known[key], let converted = RabbitOptions.value(value, as: kind) else {
                    throw invalid("has an invalid value")
                }
                switch (key, converted) {
                case ("amqp_durable_queues", .bool(let flag)): queue.amqpDurableQueues = flag
                case ("amqp_auto_delete", .bool(let flag)): queue.amqpAutoDelete = flag
                case ("rabbit_ha_queues", .bool(let flag)): queue.rabbitHAQueues = flag
                case ("rabbit_quorum_queue", .bool(let flag)): queue.rabbitQuorumQueue = flag
                case ("rabbit_quorum_delivery_limit", .integer(let number)): queue.rabbitQuorumDeliveryLimit = number
                case ("rabbit_quorum_max_memory_length", .integer(let number)): queue.rabbitQuorumMaxMemoryLength = number
                case ("rabbit_quorum_max_memory_bytes", .integer(let number)): queue.rabbitQuorumMaxMemoryBytes = number
                default: throw invalid("has an invalid value")
                }
            }
        }
        if let transportURL {
            var rabbit = RabbitOptions()
            rabbit.queue = queue
            queue = try rabbit.overridden(by: transportURL, option: "[oslo_messaging_notifications] transport_url").queue
        }
        _ = try queue.queueArguments()
    }

    private static func text(_ value: OsloJSON) -> String {
        if case .string(let text) = value { return text }
        return value.serialized
    }

    private static func list(_ value: OsloJSON) -> [String]? {
        switch value {
        case .string(let text):
            return text.split(separator: ",").map { String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()) }
                .filter { !$0.isEmpty }
        case .array(let items):
            var names: [String] = []
            for item in items {
                guard case .string(let name) = item else { return nil }
                names.append(name)
            }
            return names
        default: return nil
        }
    }

}
