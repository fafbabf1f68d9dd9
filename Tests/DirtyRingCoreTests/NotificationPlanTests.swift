@testable import DirtyRingCore
import DirtyRingTestSupport
import Testing

/// What goes on the broker for one event under Nova's notification configuration.
@Suite struct NotificationPlanTests {
    static let data = OsloJSON.object([("instance_uuid", .string("u")), ("megabytes_per_second", .number(1.5))])

    static func plan(_ config: NotificationConfig, event: NotificationEvent = .dirtyRateMeasure) throws -> [OutgoingNotification] {
        var generator = SeededGenerator(seed: 3)
        return try OutgoingNotification.plan(event: event, data: data, host: "cmp-7", config: config,
                                             timestamp: OsloTimestamp(seconds: 1_795_835_890, microseconds: 887_256),
                                             using: &generator)
    }

    @Test func nothingWhenNovaWouldSendNothing() throws {
        var config = NotificationConfig()
        #expect(!config.publishes)
        #expect(try Self.plan(config).isEmpty)
        config.drivers = [.init(name: "noop"), .init(name: "log")]
        #expect(!config.publishes)
        #expect(try Self.plan(config).isEmpty)
        config.drivers = [.init(name: "messagingv2")]
        config.topics = []
        #expect(!config.publishes)
        #expect(try Self.plan(config).isEmpty)
    }

    @Test func bothFormatsEveryTopicEveryDriver() throws {
        var config = NotificationConfig()
        config.drivers = ["messagingv2", "log", "messaging", "messagingv2"].map(NotificationDriver.init(name:))
        config.notificationFormat = .both
        config.topics = ["notifications", "audit"]
        config.controlExchange = "openstack"
        #expect(config.publishingDrivers == [.messagingV2, .messaging])
        let messages = try Self.plan(config, event: .precheckReject)
        #expect(messages.count == 2 * 2 + 2 * 1)
        #expect(messages.map(\.route.routingKey) == [
            "notifications.warn", "audit.warn", "notifications.warn", "audit.warn",
            "versioned_notifications.warn", "versioned_notifications.warn",
        ])
        #expect(messages.allSatisfy { $0.route.exchange.name == "openstack" })
        let unversioned = messages.prefix(4)
        let versioned = messages.suffix(2)
        #expect(Set(unversioned.map(\.notification.messageID)).count == 1)
        #expect(Set(versioned.map(\.notification.messageID)).count == 1)
        #expect(unversioned.first?.notification.messageID != versioned.first?.notification.messageID)
        #expect(Set(messages.map(\.notification.uniqueID)).count == messages.count)
        #expect(unversioned.allSatisfy { $0.notification.publisherID == "compute.cmp-7" && $0.notification.payload == Self.data })
        #expect(versioned.allSatisfy {
            $0.notification.publisherID == "nova-compute:cmp-7"
                && $0.notification.payload["nova_object.name"] == .string("LiveMigrationPrecheckPayload")
        })
        #expect(messages[0].body.hasPrefix(#"{"oslo.version": "2.0", "oslo.message": "{\"message_id\": "#))
        #expect(messages[2].body.hasPrefix(#"{"message_id": "#))
    }

    @Test func versionedOnly() throws {
        var config = NotificationConfig()
        config.drivers = [.messagingV2]
        config.notificationFormat = .versioned
        config.versionedTopics = ["versioned_notifications", "other"]
        let messages = try Self.plan(config, event: .dirtyRingFault)
        #expect(messages.map(\.route.routingKey) == ["versioned_notifications.error", "other.error"])
    }

    @Test func quorumFlagsReachTheRoute() throws {
        var config = NotificationConfig()
        config.drivers = [.messagingV2]
        config.queue.rabbitQuorumQueue = true
        let route = try #require(try Self.plan(config).first).route
        #expect(route.queue.durable && route.exchange.durable)
        #expect(route.queue.arguments.map(\.0) == ["x-queue-type"])
        config.queue.rabbitHAQueues = true
        #expect(throws: DirtyRingError.self) { try Self.plan(config) }
    }
}
