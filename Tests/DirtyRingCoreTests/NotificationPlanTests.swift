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

/// Nova's option values and the JSON entry point.
@Suite struct NotificationOptionsTests {
    @Test func novaOptionValues() throws {
        let config = try NotificationConfig(options: OsloJSONParser.parse(#"""
            {"driver": "messagingv2, log", "topics": ["notifications", "audit"], "retry": "3",
             "notification_format": "both", "versioned_notifications_topics": "vn",
             "control_exchange": "openstack", "amqp_durable_queues": "yes", "rabbit_quorum_delivery_limit": 4,
             "transport_url": "rabbit://nova:S3cret@h/?rabbit_quorum_queue=true"}
            """#))
        #expect(config.drivers == [.messagingV2, .other("log")])
        #expect(config.topics == ["notifications", "audit"] && config.versionedTopics == ["vn"])
        #expect(config.retry == 3 && config.notificationFormat == .both && config.controlExchange == "openstack")
        #expect(config.queue.amqpDurableQueues && config.queue.rabbitQuorumQueue)
        #expect(config.queue.rabbitQuorumDeliveryLimit == 4)
    }

    @Test(arguments: [
        (#"{"notification_format": "json"}"#, "[notifications] notification_format"),
        (#"{"driver": 1}"#, "[oslo_messaging_notifications] driver"),
        (#"{"topics": [""]}"#, "[oslo_messaging_notifications] topics"),
        (#"{"amqp_durable_queues": "maybe"}"#, "[oslo_messaging_rabbit] amqp_durable_queues"),
        (#"{"control_exchange": ""}"#, "[DEFAULT] control_exchange"),
        (#"{"transport_url": "rabbit://nova:S3cret@h:x/"}"#, "[oslo_messaging_notifications] transport_url"),
        (#"{"transport_url": "rabbit://nova:S3cret@h/?ssl=2"}"#, "[oslo_messaging_notifications] transport_url"),
    ])
    func invalidOptionsNameTheOption(json: String, option: String) throws {
        do {
            _ = try NotificationConfig(options: OsloJSONParser.parse(json))
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.kind == .invalidConfig)
            #expect(error.option == option)
            #expect(!error.message.contains("S3cret") && !(error.value ?? "").contains("S3cret"))
        }
    }

    @Test func quorumAndHAConflict() throws {
        #expect(throws: DirtyRingError.self) {
            try NotificationConfig(options: OsloJSONParser.parse(#"{"rabbit_quorum_queue": true, "rabbit_ha_queues": true}"#))
        }
        #expect(throws: DirtyRingError.self) { try NotificationConfig(options: OsloJSONParser.parse(#"{"nope": 1}"#)) }
    }

    @Test func entryPoint() throws {
        let response = NotificationRequests.plan(json: FuzzTests.seeds.last ?? "")
        let envelope = try OsloJSONParser.parse(response)
        guard case .array(let messages)? = envelope["ok"] else {
            Issue.record("\(response)")
            return
        }
        #expect(messages.count == 2)
        #expect(messages.first?["routing_key"] == .string("notifications.info"))
        #expect(messages.last?["routing_key"] == .string("versioned_notifications.info"))
        #expect(messages.first?["queue_arguments"] == .object([("x-queue-type", .string("quorum"))]))
        guard case .string(let body)? = messages.first?["body"] else { return }
        let message = try OsloJSONParser.parse(NotificationWireTests.string(try OsloJSONParser.parse(body)["oslo.message"]))
        #expect(message["timestamp"] == .string("2026-11-28 03:18:10.887256"))
        #expect(message["payload"] == .object([("megabytes_per_second", .number(1.5))]))
        let refused = try OsloJSONParser.parse(NotificationRequests.plan(json: #"{"event": "x"}"#))
        #expect(refused["error"]?["kind"] == .string("invalid_request"))
    }
}
