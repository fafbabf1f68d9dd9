/// Everything a publisher declares and sends for one notification topic and priority, exactly
/// as oslo.messaging's rabbit driver does (`Connection.notify_send` →
/// `_publish_and_creates_default_queue` → `_publish` → kombu `Producer.publish`), once per
/// connection for the declarations:
///
/// 1. `exchange.declare`: `control_exchange`, type `topic`, durable per
///    `NotificationQueueOptions.durable`, auto-delete per `amqp_auto_delete`, not passive, not
///    internal, no arguments (kombu's `Queue.declare` declares the exchange first).
/// 2. `queue.declare`: named after the routing key, the exchange's durable and auto-delete flags,
///    not exclusive, `queue.arguments`.
/// 3. `queue.bind` of that queue to the exchange with the routing key, no arguments.
/// 4. `basic.publish` to the exchange with the routing key, mandatory and immediate off, with
///    `properties`, and the broker's confirm awaited.
///
/// A flag mismatch with an existing exchange or queue gets 406 PRECONDITION_FAILED and closes
/// the channel. oslo's `_publish` re-declares a non-durable exchange (`exchangeFallback`) on
/// "inequivalent arg 'durable'", but for notifications the queue declaration fails first and
/// oslo retries forever; the publisher should report it (it is a configuration error) rather
/// than loop.
public struct NotificationRoute: Equatable, Sendable {
    public struct Exchange: Equatable, Sendable {
        public var name: String
        public var type = "topic"
        public var durable: Bool
        public var autoDelete: Bool
        public var passive = false
        public var `internal` = false
    }

    public struct Queue: Sendable {
        public var name: String
        public var durable: Bool
        public var autoDelete: Bool
        public var exclusive = false
        public var arguments: [(String, AMQPFieldValue)]
    }

    /// `basic.publish` properties: kombu's json serializer sets the content type and encoding,
    /// `maybe_delivery_mode` makes every message persistent (2) whether or not the queue is
    /// durable, kombu's default priority is 0, headers are an empty table; no expiration, no
    /// message id, no timestamp property.
    public struct Properties: Equatable, Sendable {
        public var contentType = "application/json"
        public var contentEncoding = "utf-8"
        public var deliveryMode: UInt8 = 2
        public var priority: UInt8 = 0
        public var headers: [(String, AMQPFieldValue)] = []

        public static func == (lhs: Properties, rhs: Properties) -> Bool {
            lhs.contentType == rhs.contentType && lhs.contentEncoding == rhs.contentEncoding
                && lhs.deliveryMode == rhs.deliveryMode && lhs.priority == rhs.priority
                && lhs.headers.map(\.0) == rhs.headers.map(\.0) && lhs.headers.map(\.1) == rhs.headers.map(\.1)
        }
    }

    public var exchange: Exchange
    public var queue: Queue
    /// `<topic>.<priority lower case>`.
    public var routingKey: String
    public var properties = Properties()
    public var mandatory = false
    public var immediate = false

    /// - Parameters:
    ///   - controlExchange: `[DEFAULT] control_exchange` (Nova: `nova`).
    ///   - topic: one of `[oslo_messaging_notifications] topics` or
    ///     `[notifications] versioned_notifications_topics`.
    public init(controlExchange: String = "nova", topic: String, priority: NotificationPriority,
                options: NotificationQueueOptions = NotificationQueueOptions()) throws(DirtyRingError) {
        guard !controlExchange.isEmpty, controlExchange.utf8.count <= 255 else {
            throw DirtyRingError(kind: .invalidConfig, message: "control_exchange must be 1 to 255 bytes",
                                 option: "[DEFAULT] control_exchange", value: controlExchange)
        }
        routingKey = topic + "." + priority.routingSuffix
        guard !topic.isEmpty, routingKey.utf8.count <= 255 else {
            throw DirtyRingError(kind: .invalidConfig, message: "notification topic must be 1 to \(254 - priority.routingSuffix.utf8.count) bytes",
                                 option: "[oslo_messaging_notifications] topics", value: topic)
        }
        exchange = Exchange(name: controlExchange, durable: options.durable, autoDelete: options.amqpAutoDelete)
        queue = Queue(name: routingKey, durable: options.durable, autoDelete: options.amqpAutoDelete,
                      arguments: try options.queueArguments())
    }

    /// The exchange oslo declares after the broker refused `exchange` for an inequivalent
    /// `durable` argument.
    public var exchangeFallback: Exchange {
        var fallback = exchange
        fallback.durable = false
        return fallback
    }
}

extension NotificationRoute.Queue: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.durable == rhs.durable && lhs.autoDelete == rhs.autoDelete
            && lhs.exclusive == rhs.exclusive && lhs.arguments.map(\.0) == rhs.arguments.map(\.0)
            && lhs.arguments.map(\.1) == rhs.arguments.map(\.1)
    }
}
