/// JSON entry points of the notification encoding (for the C ABI and the fuzz tests).
public enum NotificationRequests {
    /// One message of a plan, as the publisher needs it.
    public struct Message: Encodable, Sendable {
        public var exchange: String
        public var exchangeDurable: Bool
        public var autoDelete: Bool
        public var queue: String
        public var queueDurable: Bool
        public var queueArguments: [String: String]
        public var routingKey: String
        public var body: String

        enum CodingKeys: String, CodingKey {
            case exchange, queue, body
            case exchangeDurable = "exchange_durable", autoDelete = "auto_delete", queueDurable = "queue_durable"
            case queueArguments = "queue_arguments", routingKey = "routing_key"
        }
    }

    /// `{"event": "<event_type>", "host": "...", "data": {...}, "options": {...},
    /// "timestamp_us": <microseconds since the epoch>}` → `{"ok": [messages]}`: every message Nova
    /// would publish for the event under `options` (see `NotificationConfig.init(options:)`),
    /// with fresh identifiers. `data` keeps its key order.
    public static func plan(json: String) -> String {
        ABIRequests.respond { () throws(DirtyRingError) -> [Message] in
            let request = try OsloJSONParser.parse(json)
            guard case .object = request else {
                throw DirtyRingError(kind: .invalidRequest, message: "the request must be a JSON object")
            }
            guard case .string(let name)? = request["event"], let event = NotificationEvent(rawValue: name) else {
                throw DirtyRingError(kind: .invalidRequest, message: "the field 'event' must name an event of the catalogue")
            }
            guard case .string(let host)? = request["host"], !host.isEmpty else {
                throw DirtyRingError(kind: .invalidRequest, message: "the field 'host' must be a non-empty string")
            }
            guard let data = request["data"], case .object = data else {
                throw DirtyRingError(kind: .invalidRequest, message: "the field 'data' must be an object")
            }
            guard case .integer(let microseconds)? = request["timestamp_us"] else {
                throw DirtyRingError(kind: .invalidRequest, message: "the field 'timestamp_us' must be an integer")
            }
            let config = try NotificationConfig(options: request["options"] ?? .object([]))
            var generator = SystemRandomNumberGenerator()
            let messages = try OutgoingNotification.plan(
                event: event, data: data, host: host, config: config,
                timestamp: OsloTimestamp(microsecondsSinceEpoch: Int64(microseconds)), using: &generator)
            return messages.map { outgoing in
                let route = outgoing.route
                return Message(
                    exchange: route.exchange.name, exchangeDurable: route.exchange.durable,
                    autoDelete: route.exchange.autoDelete, queue: route.queue.name, queueDurable: route.queue.durable,
                    queueArguments: Dictionary(route.queue.arguments.map { key, value in
                        switch value {
                        case .string(let text): (key, text)
                        case .integer(let number): (key, String(number))
                        case .bool(let flag): (key, String(flag))
                        }
                    }, uniquingKeysWith: { $1 }),
                    routingKey: route.routingKey, body: outgoing.body)
            }
        }
    }
}
