/// The `[oslo_messaging_rabbit]` options a notification publisher uses, with oslo 18.3.1's
/// defaults, and the `transport_url` query overrides oslo applies (`ConfigOptsProxy`): a query
/// key must name an `[oslo_messaging_rabbit]` option (oslo fails to load the driver otherwise)
/// and its value must convert to the option's type (booleans: true/1/on/yes, false/0/off/no,
/// any case).
public struct RabbitOptions: Equatable, Sendable {
    public var ssl = false
    public var sslVersion = ""
    public var sslKeyFile = ""
    public var sslCertFile = ""
    public var sslCAFile = ""
    public var sslEnforceHostnameVerification = false
    /// Seconds; 0 disables heartbeats.
    public var heartbeatTimeoutThreshold = 60
    public var heartbeatRate = 3
    public var rabbitRetryInterval = 1
    public var rabbitRetryBackoff = 2
    public var rabbitIntervalMax = 30
    public var kombuFailoverStrategy = "round-robin"
    /// rabbitmq-c logs in with PLAIN only; `AMQPLAIN` (oslo's default) carries the same
    /// credentials.
    public var rabbitLoginMethod = "AMQPLAIN"
    public var queue = NotificationQueueOptions()

    public init() {}

    public enum Kind: Sendable { case bool, integer(minimum: Int?, maximum: Int?), float, string(choices: [String]?) }

    /// Every `[oslo_messaging_rabbit]` option of oslo.messaging 18.3.1 and its type.
    public static let known: [String: Kind] = [
        "amqp_durable_queues": .bool, "amqp_auto_delete": .bool, "rpc_conn_pool_size": .integer(minimum: 1, maximum: nil),
        "conn_pool_min_size": .integer(minimum: nil, maximum: nil), "conn_pool_ttl": .integer(minimum: nil, maximum: nil),
        "ssl": .bool, "ssl_version": .string(choices: nil), "ssl_key_file": .string(choices: nil),
        "ssl_cert_file": .string(choices: nil), "ssl_ca_file": .string(choices: nil),
        "ssl_enforce_hostname_verification": .bool, "ssl_enforce_fips_mode": .bool,
        "kombu_reconnect_delay": .float, "kombu_reconnect_splay": .float, "kombu_compression": .string(choices: nil),
        "kombu_missing_consumer_retry_timeout": .integer(minimum: nil, maximum: nil),
        "kombu_failover_strategy": .string(choices: ["round-robin", "shuffle"]),
        "rabbit_login_method": .string(choices: ["PLAIN", "AMQPLAIN", "EXTERNAL", "RABBIT-CR-DEMO"]),
        "rabbit_retry_interval": .integer(minimum: 1, maximum: nil), "rabbit_retry_backoff": .integer(minimum: 0, maximum: nil),
        "rabbit_interval_max": .integer(minimum: 1, maximum: nil), "rabbit_ha_queues": .bool,
        "rabbit_quorum_queue": .bool, "rabbit_transient_quorum_queue": .bool,
        "rabbit_quorum_delivery_limit": .integer(minimum: nil, maximum: nil),
        "rabbit_quorum_max_memory_length": .integer(minimum: nil, maximum: nil),
        "rabbit_quorum_max_memory_bytes": .integer(minimum: nil, maximum: nil),
        "rabbit_transient_queues_ttl": .integer(minimum: 0, maximum: nil),
        "rabbit_qos_prefetch_count": .integer(minimum: nil, maximum: nil),
        "heartbeat_timeout_threshold": .integer(minimum: nil, maximum: nil), "heartbeat_rate": .integer(minimum: nil, maximum: nil),
        "direct_mandatory_flag": .bool, "enable_cancel_on_failover": .bool, "use_queue_manager": .bool,
        "hostname": .string(choices: nil), "processname": .string(choices: nil), "rabbit_stream_fanout": .bool,
    ]

    enum Value { case bool(Bool), integer(Int), float(Double), string(String) }

    static func convert(_ text: String, as kind: Kind) -> Value? {
        let trimmed = String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        switch kind {
        case .bool:
            switch text.lowercased() {
            case "true", "1", "on", "yes": return .bool(true)
            case "false", "0", "off", "no": return .bool(false)
            default: return nil
            }
        case .integer(let minimum, let maximum):
            let digits = trimmed.hasPrefix("+") ? String(trimmed.dropFirst()) : trimmed
            guard let value = Int(digits) else { return nil }
            if let minimum, value < minimum { return nil }
            if let maximum, value > maximum { return nil }
            return .integer(value)
        case .float:
            guard let value = Double(trimmed), value.isFinite else { return nil }
            return .float(value)
        case .string(let choices):
            if let choices, !choices.contains(text) { return nil }
            return .string(text)
        }
    }

    /// The `[oslo_messaging_rabbit]` values as oslo.config holds them (booleans and integers as
    /// JSON values or their oslo.config spellings), keyed by option name. Options that do not
    /// change how notifications are published, or that this oslo version does not know, are
    /// ignored; a value of the wrong type is an error naming `[oslo_messaging_rabbit] <option>`.
    public init(options: OsloJSON) throws(DirtyRingError) {
        self.init()
        guard case .object(let members) = options else {
            throw DirtyRingError(kind: .invalidRequest, message: "the [oslo_messaging_rabbit] options must be a JSON object")
        }
        for (key, json) in members {
            guard let kind = Self.known[key], json != .null else { continue }
            guard let value = Self.value(json, as: kind) else {
                let text: String
                if case .string(let string) = json { text = string } else { text = json.serialized }
                throw DirtyRingError(kind: .invalidConfig, message: "[oslo_messaging_rabbit] \(key) has an invalid value",
                                     option: "[oslo_messaging_rabbit] \(key)", value: text)
            }
            set(key, value)
        }
    }

    /// A JSON value as an option of `kind`: JSON booleans and numbers as they are, strings in
    /// oslo.config's spellings.
    static func value(_ json: OsloJSON, as kind: Kind) -> Value? {
        switch (json, kind) {
        case (.bool(let flag), .bool): return .bool(flag)
        case (.integer(let number), .integer(let minimum, let maximum)):
            if let minimum, number < minimum { return nil }
            if let maximum, number > maximum { return nil }
            return .integer(number)
        case (.integer(let number), .float): return .float(Double(number))
        case (.number(let number), .float): return number.isFinite ? .float(number) : nil
        case (.string(let text), _): return convert(text, as: kind)
        default: return nil
        }
    }

    /// These options with the URL's query overrides applied. Errors name `option` and the
    /// redacted URL, never a password.
    public func overridden(by url: TransportURL, option: String = TransportURL.option) throws(DirtyRingError) -> RabbitOptions {
        var result = self
        for (key, text) in url.query {
            guard let kind = Self.known[key] else {
                throw DirtyRingError(kind: .invalidConfig,
                                     message: "\(option) \(url.description): no option \(key) in [oslo_messaging_rabbit]",
                                     option: option, value: url.description)
            }
            guard let value = Self.convert(text, as: kind) else {
                throw DirtyRingError(kind: .invalidConfig,
                                     message: "\(option) \(url.description): invalid value for \(key)",
                                     option: option, value: url.description)
            }
            result.set(key, value)
        }
        return result
    }

    private mutating func set(_ key: String, _ value: Value) {
        switch (key, value) {
        case ("ssl", .bool(let v)): ssl = v
        case ("ssl_version", .string(let v)): sslVersion = v
        case ("ssl_key_file", .string(let v)): sslKeyFile = v
        case ("ssl_cert_file", .string(let v)): sslCertFile = v
        case ("ssl_ca_file", .string(let v)): sslCAFile = v
        case ("ssl_enforce_hostname_verification", .bool(let v)): sslEnforceHostnameVerification = v
        case ("heartbeat_timeout_threshold", .integer(let v)): heartbeatTimeoutThreshold = v
        case ("heartbeat_rate", .integer(let v)): heartbeatRate = v
        case ("rabbit_retry_interval", .integer(let v)): rabbitRetryInterval = v
        case ("rabbit_retry_backoff", .integer(let v)): rabbitRetryBackoff = v
        case ("rabbit_interval_max", .integer(let v)): rabbitIntervalMax = v
        case ("kombu_failover_strategy", .string(let v)): kombuFailoverStrategy = v
        case ("rabbit_login_method", .string(let v)): rabbitLoginMethod = v
        case ("amqp_durable_queues", .bool(let v)): queue.amqpDurableQueues = v
        case ("amqp_auto_delete", .bool(let v)): queue.amqpAutoDelete = v
        case ("rabbit_ha_queues", .bool(let v)): queue.rabbitHAQueues = v
        case ("rabbit_quorum_queue", .bool(let v)): queue.rabbitQuorumQueue = v
        case ("rabbit_quorum_delivery_limit", .integer(let v)): queue.rabbitQuorumDeliveryLimit = v
        case ("rabbit_quorum_max_memory_length", .integer(let v)): queue.rabbitQuorumMaxMemoryLength = v
        case ("rabbit_quorum_max_memory_bytes", .integer(let v)): queue.rabbitQuorumMaxMemoryBytes = v
        default: break  // known to oslo, no effect on publishing notifications
        }
    }
}
