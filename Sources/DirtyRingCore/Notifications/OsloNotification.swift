/// One oslo.messaging notification as the `messagingv2` driver over rabbit publishes it.
///
/// The message is built in the order oslo builds it (`Notifier._notify`, then
/// `AMQPDriverBase._send`): `message_id`, `publisher_id`, `event_type`, `priority`, `payload`,
/// `timestamp`, `_unique_id`, then one `_context_<key>` per context entry
/// (`amqp.pack_context`). oslo sanitizes a plain-dict context to `{}`, so a notification sent with
/// an anonymous context (what Nova's notifier sends us: nothing) has no `_context_*` key at all.
/// The body is the 2.0 envelope `{"oslo.version": "2.0", "oslo.message": "<message as JSON>"}`
/// (`common.serialize_msg`, then kombu's `json.dumps`), encoded in UTF-8 (pure ASCII in fact).
public struct OsloNotification: Equatable, Sendable {
    public var messageID: String
    public var publisherID: String
    public var eventType: String
    public var priority: NotificationPriority
    public var payload: OsloJSON
    public var timestamp: OsloTimestamp
    /// `_unique_id`: 32 lower-case hex digits; kept unchanged on every retry so oslo consumers
    /// de-duplicate.
    public var uniqueID: String
    /// Keys without the `_context_` prefix, in order; empty for an anonymous context.
    public var context: [(String, OsloJSON)]

    public init(messageID: String, publisherID: String, eventType: String, priority: NotificationPriority,
                payload: OsloJSON, timestamp: OsloTimestamp, uniqueID: String,
                context: [(String, OsloJSON)] = []) {
        self.messageID = messageID
        self.publisherID = publisherID
        self.eventType = eventType
        self.priority = priority
        self.payload = payload
        self.timestamp = timestamp
        self.uniqueID = uniqueID
        self.context = context
    }

    public static func == (lhs: OsloNotification, rhs: OsloNotification) -> Bool {
        lhs.message == rhs.message
    }

    /// The message before the envelope, as a Python `dict`.
    public var message: OsloJSON {
        var members: [(String, OsloJSON)] = [
            ("message_id", .string(messageID)),
            ("publisher_id", .string(publisherID)),
            ("event_type", .string(eventType)),
            ("priority", .string(priority.wireName)),
            ("payload", payload),
            ("timestamp", .string(timestamp.text)),
            ("_unique_id", .string(uniqueID)),
        ]
        members += context.map { ("_context_" + $0.0, $0.1) }
        return .object(members)
    }

    /// The 2.0 envelope around the message.
    public var envelope: OsloJSON {
        .object([("oslo.version", .string("2.0")), ("oslo.message", .string(message.serialized))])
    }

    /// The AMQP message body: exactly the bytes oslo.messaging publishes (`envelope`,
    /// serialized without building the message string twice).
    public var body: String {
        var message: [UInt8] = []
        message.reserveCapacity(1024)
        self.message.write(to: &message)
        var output: [UInt8] = []
        output.reserveCapacity(message.count + message.count / 4 + 48)
        output += #"{"oslo.version": "2.0", "oslo.message": "#.utf8
        message.withUnsafeBufferPointer { OsloJSON.writeString(utf8: $0, to: &output) }
        output.append(UInt8(ascii: "}"))
        return String(decoding: output, as: UTF8.self)
    }

    /// `body` as UTF-8 bytes.
    public var bodyBytes: [UInt8] { Array(body.utf8) }
}
