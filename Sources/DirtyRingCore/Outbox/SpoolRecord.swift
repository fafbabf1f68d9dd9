/// One notification message kept until the broker confirms it: its sequence number, where it
/// goes (exchange, topic, priority: the route is rebuilt from these with the queue flags in
/// force) and the exact body, so that every retry sends the same bytes, `_unique_id` included.
///
/// On disk it is one line: a JSON header `{"seq": 7, "exchange": "nova", "topic":
/// "notifications", "priority": "INFO"}`, a tab, the body as it is, a newline. Neither the header
/// (written with `ensure_ascii`) nor a body (oslo's JSON) can hold a raw tab or newline.
public struct SpoolRecord: Equatable, Sendable {
    public var sequence: UInt64
    public var exchange: String
    public var topic: String
    public var priority: NotificationPriority
    public var body: String

    public init(sequence: UInt64, exchange: String, topic: String, priority: NotificationPriority, body: String) {
        self.sequence = sequence
        self.exchange = exchange
        self.topic = topic
        self.priority = priority
        self.body = body
    }

    /// The record as its spool line, newline included.
    public var line: String {
        var text: [UInt8] = []
        text.reserveCapacity(body.utf8.count + 96)
        text += "{\"seq\": \(sequence), \"exchange\": ".utf8
        OsloJSON.writeString(exchange, to: &text)
        text += ", \"topic\": ".utf8
        OsloJSON.writeString(topic, to: &text)
        text += ", \"priority\": \"\(priority.wireName)\"}\t".utf8
        text += body.utf8
        text.append(0x0A)
        return String(decoding: text, as: UTF8.self)
    }

    /// The record a spool line holds (without its newline); nil when the line is not one.
    public init?(line: String) {
        guard let tab = line.utf8.firstIndex(of: 0x09),
              let header = try? OsloJSONParser.parse(String(line[..<tab])),
              case .integer(let sequence)? = header["seq"], sequence > 0,
              case .string(let exchange)? = header["exchange"],
              case .string(let topic)? = header["topic"],
              case .string(let priorityName)? = header["priority"],
              let priority = NotificationPriority(rawValue: priorityName)
        else { return nil }
        let body = String(line[line.utf8.index(after: tab)...])
        guard !body.isEmpty, !body.utf8.contains(0x0A), !body.utf8.contains(0x09) else { return nil }
        self.init(sequence: UInt64(sequence), exchange: exchange, topic: topic, priority: priority, body: body)
    }
}
