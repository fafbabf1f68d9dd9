import AMQPClient
@testable import DirtyRingCore
import DirtyRingTestSupport
import Foundation
import NotificationPublisher
import Testing

/// The committed oslo fixtures (`tox-data/notifications/`) and the test broker.
enum Fixtures {
    /// `DIRTYRING_RABBIT_URL` (exported by scripts/lib/rabbitmq.sh), else the loopback broker.
    static let url = ProcessInfo.processInfo.environment["DIRTYRING_RABBIT_URL"] ?? "rabbit://guest:guest@127.0.0.1:5672/"

    static func broker(timeouts: AMQPTimeouts = AMQPTimeouts(connect: .seconds(2), handshake: .seconds(5), rpc: .seconds(5)))
        throws -> NotificationBroker
    {
        try NotificationBroker(url: TransportURL.parse(url), options: RabbitOptions(), timeouts: timeouts)
    }

    /// A second connection, for reading back and for clean-up.
    static func connection() throws -> AMQPConnection {
        let host = try #require(broker().hosts.first)
        return try AMQPConnection.open(host: host.hostname, port: host.port, virtualHost: broker().virtualHost,
                                       user: host.loginUsername, password: host.loginPassword)
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: Repository.path("tox-data/notifications/" + name), encoding: .utf8)
    }

    static func array(_ name: String) throws -> [OsloJSON] {
        guard case .array(let items) = try OsloJSONParser.parse(text(name)) else { return [] }
        return items
    }

    static func string(_ value: OsloJSON?) -> String {
        if case .string(let text)? = value { return text }
        return ""
    }

    /// One `inputs.json` item as the message our publisher sends, on `topic` of `exchange`.
    static func outgoing(_ item: OsloJSON, exchange: String = "nova", topic: String? = nil) throws -> OutgoingNotification {
        let priority = try #require(NotificationPriority(rawValue: string(item["priority"])))
        let notification = try OsloNotification(
            messageID: string(item["message_id"]), publisherID: string(item["publisher_id"]),
            eventType: string(item["event_type"]), priority: priority, payload: #require(item["payload"]),
            timestamp: FixtureTimestamp.parse(string(item["timestamp"])), uniqueID: string(item["unique_id"]))
        return OutgoingNotification(
            route: try NotificationRoute(controlExchange: exchange, topic: topic ?? string(item["topic"]), priority: priority),
            notification: notification, driver: NotificationDriver(name: string(item["driver"])))
    }

    /// A name no other test run uses.
    static func unique(_ prefix: String) -> String {
        prefix + "-" + UUID().uuidString.prefix(8).lowercased()
    }
}
