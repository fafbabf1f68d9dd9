@testable import DirtyRingCore
import Testing

/// What `dr_notifier_open` makes of Nova's options.
@Suite struct NotifierSettingsTests {
    static func settings(_ members: String) throws -> NotifierSettings {
        try NotifierSettings(json: #"{"host": "cmp-1", "spool_dir": "/var/lib/x", "spool_max_bytes": 16777216"#
            + (members.isEmpty ? "" : ", " + members) + "}")
    }

    @Test func nothingPublishedByDefaultAndNovasURLWhenNotificationsHaveNone() throws {
        let plain = try Self.settings("")
        #expect(!plain.config.publishes)
        #expect(plain.transportURL.hosts.map(\.address) == ["localhost:5672"])
        let fallback = try Self.settings(#""notifications": {"driver": ["messagingv2"]}, "default_transport_url": "rabbit://u:secret@h1:5673,h2/vh""#)
        #expect(fallback.config.publishes && fallback.config.messagesPerNotification == 1)
        #expect(fallback.transportURL.hosts.map(\.address) == ["h1:5673", "h2:5672"])
        let own = try Self.settings(#""notifications": {"driver": "messagingv2", "transport_url": "rabbit://n:p@notif:5672/"}, "default_transport_url": "rabbit://u:p@rpc:5672/""#)
        #expect(own.transportURL.hosts.map(\.hostname) == ["notif"])
    }

    @Test func rabbitOptionsAndURLQueryGiveTheQueueFlags() throws {
        let settings = try Self.settings(#""notifications": {"driver": ["messagingv2"], "transport_url": "rabbit://h/?rabbit_quorum_queue=true"}, "rabbit": {"amqp_durable_queues": "True", "heartbeat_timeout_threshold": 20, "some_future_option": 1, "ssl": null}"#)
        #expect(settings.config.queue.amqpDurableQueues && settings.config.queue.rabbitQuorumQueue)
        #expect(settings.rabbit.heartbeatTimeoutThreshold == 20)
    }

    @Test(arguments: [
        (#""rabbit": {"heartbeat_timeout_threshold": "often"}"#, "[oslo_messaging_rabbit] heartbeat_timeout_threshold"),
        (#""spool_dir": "relative/dir""#, "[dirtyring] notification_spool_dir"),
        (#""spool_max_bytes": 1000"#, "[dirtyring] notification_spool_max_mb"),
        (#""notifications": {"notification_format": "fancy"}"#, "[notifications] notification_format"),
        (#""notifications": {"transport_url": "rabbit://u:hunter2@h/?no_such=1"}"#, "[oslo_messaging_notifications] transport_url"),
    ])
    func aWrongValueNamesItsOptionAndNeverThePassword(members: String, option: String) {
        #expect {
            _ = try NotifierSettings(json: #"{"host": "cmp-1", "spool_dir": "/var/lib/x", "spool_max_bytes": 16777216, "#
                + members + "}")
        } throws: { error in
            guard let error = error as? DirtyRingError else { return false }
            return error.kind == .invalidConfig && error.option == option && !"\(error)".contains("hunter2")
                && !(error.value ?? "").contains("hunter2")
        }
    }
}
