import AMQPClient
@testable import DirtyRingCore
import DirtyRingTestSupport
import Foundation
@testable import NotificationPublisher
import Testing

/// The notifier against the real RabbitMQ: the spool survives a restart and is replayed in
/// order with the same bytes, stays within its capacity, belongs to one process, and nothing
/// waits for a broker that does not answer.
@Suite(.serialized) struct NotifierTests {
    /// A port where nothing listens: the broker is down.
    static let downURL = "rabbit://guest:guest@127.0.0.1:1/"

    static func settings(spool: String, url: String = Fixtures.url, topic: String, capacity: Int = 16 << 20,
                         heartbeat: Int = 60, tls: String = "") throws -> NotifierSettings
    {
        try NotifierSettings(json: """
            {"host": "cmp-test", "notifications": {"driver": ["messagingv2"], "topics": ["\(topic)"],
             "control_exchange": "\(topic)"},
             "default_transport_url": "\(url)",
             "rabbit": {"rabbit_retry_interval": 1, "rabbit_retry_backoff": 0, "rabbit_interval_max": 1,
                        "heartbeat_timeout_threshold": \(heartbeat)\(tls)},
             "spool_dir": "\(spool)", "spool_max_bytes": \(capacity), "connection_name": "notifier-tests"}
            """)
    }

    static func measure(_ number: Int) -> String {
        """
        {"event": "instance.dirty_rate.measure", "instance": {"uuid": "i-\(number)", "tenant_id": "p", "user_id": "u"},
         "measurement": {"domain": "d", "uuid": "i-\(number)", "mode": "dirty-bitmap", "period_seconds": 1,
                         "megabytes_per_second": \(number).5, "vcpu_megabytes_per_second": [], "memory_mib": 512,
                         "vcpus": 1, "ring_size": 0, "measured_at": "2026-11-28T07:00:00Z"}}
        """
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "dirtyring-spool-" + UUID().uuidString.prefix(8).lowercased()
        return path
    }

    /// The bodies the spool holds, in sequence order.
    static func spooledBodies(_ directory: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasPrefix("segment-") }.sorted()
        return try names.flatMap { name in
            try String(contentsOfFile: directory + "/" + name, encoding: .utf8).split(separator: "\n")
                .compactMap { SpoolRecord(line: String($0))?.body }
        }
    }

    /// The first status that meets `condition` (or the last one), with every log line since the
    /// call (each status hands its lines over once).
    static func waitFor(_ notifier: Notifier, seconds: Double = 30, _ condition: (NotifierStatus) -> Bool)
        -> NotifierStatus
    {
        let deadline = Date().addingTimeInterval(seconds)
        var status = notifier.status()
        var log = status.log
        while !condition(status), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            status = notifier.status()
            log += status.log
        }
        status.log = log
        return status
    }

    @Test func unconfirmedMessagesSurviveARestartAndAreReplayedInOrderWithTheSameBytes() throws {
        let spool = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let topic = Fixtures.unique("drspool")
        let down = try Notifier.open(Self.settings(spool: spool, url: Self.downURL, topic: topic))
        for number in 0..<50 { #expect(try down.notify(json: Self.measure(number)) == 1) }
        let closed = down.close(timeout: .milliseconds(300))
        #expect(closed.accepted == 50 && closed.confirmed == 0 && closed.pending == 50)
        #expect(closed.log.contains { $0.level == .warning && $0.message.contains("cannot reach the broker") })
        let spooled = try Self.spooledBodies(spool)
        #expect(spooled.count == 50)

        let reader = try Fixtures.connection()
        defer { reader.close() }
        let up = try Notifier.open(Self.settings(spool: spool, topic: topic))
        let status = Self.waitFor(up) { $0.confirmed == 50 }
        #expect(status.recovered == 50 && status.confirmed == 50 && status.pending == 0)
        #expect(status.log.contains { $0.message.contains("50 notification messages from an earlier run") })
        _ = up.close(timeout: .seconds(5))
        var received: [String] = []
        while let message = try reader.get(queue: topic + ".info") { received.append(String(decoding: message.body, as: UTF8.self)) }
        try reader.deleteQueue(topic + ".info")
        try reader.deleteExchange(topic)
        #expect(received == spooled, "the broker got the spooled bytes, in order")
        let payloads = try received.map { body -> String in
            let message = try OsloJSONParser.parse(Fixtures.string(OsloJSONParser.parse(body)["oslo.message"]))
            return Fixtures.string(message["payload"]?["instance_uuid"])
        }
        #expect(payloads == (0..<50).map { "i-\($0)" })
        // Confirmed: the spool no longer holds them.
        #expect(try Self.spooledBodies(spool).isEmpty)
    }

    @Test func aFullSpoolDropsTheOldestCountsAndSaysSo() throws {
        let spool = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let notifier = try Notifier.open(
            Self.settings(spool: spool, url: Self.downURL, topic: "drfull", capacity: 1 << 20))
        for number in 0..<3000 { _ = try notifier.notify(json: Self.measure(number)) }
        // Every request spooled (the spooler takes them in batches), and the cap reached.
        let status = Self.waitFor(notifier) { $0.dropped > 0 && $0.pending + $0.dropped == 3000 }
        let closed = notifier.close(timeout: .zero)
        #expect(status.accepted == 3000)
        #expect(closed.dropped > 0 && closed.dropped + closed.pending == 3000)
        #expect((status.log + closed.log).contains { $0.level == .warning && $0.message.contains("dropped the") })
        let spooled = try Self.spooledBodies(spool)
        // The newest are kept: the last one queued is the last one spooled.
        #expect(spooled.last?.contains("i-2999") == true)
        // Segments of 128 KiB: the capacity, the partly done oldest segment, the one being written.
        #expect(closed.spoolBytes <= (1 << 20) + 3 * (1 << 17), "\(closed.spoolBytes) bytes on disk")
    }

    @Test func oneProcessPerSpoolAndAClearErrorForTheSecond() throws {
        let spool = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let first = try Notifier.open(Self.settings(spool: spool, url: Self.downURL, topic: "drlock"))
        defer { _ = first.close(timeout: .zero) }
        #expect {
            _ = try Notifier.open(Self.settings(spool: spool, url: Self.downURL, topic: "drlock"))
        } throws: { error in
            guard let error = error as? DirtyRingError else { return false }
            return error.kind == .invalidConfig && error.option == "[dirtyring] notification_spool_dir"
                && error.value == spool && error.message.contains("in use by another process")
        }
    }

    @Test func aWrongPasswordIsReportedWithoutIt() throws {
        let spool = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let notifier = try Notifier.open(Self.settings(
            spool: spool, url: "rabbit://guest:Hunter2Secret@127.0.0.1:5672/", topic: "drpassword"))
        _ = try notifier.notify(json: Self.measure(1))
        let status = Self.waitFor(notifier) { $0.lastError != nil }
        let closed = notifier.close(timeout: .zero)
        let texts = [status.lastError ?? ""] + (status.log + closed.log).map(\.message)
        #expect(texts.contains { $0.contains("loginFailed") || $0.contains("ACCESS_REFUSED") })
        #expect(!texts.contains { $0.contains("Hunter2Secret") })
        #expect(closed.pending == 1)
    }

    @Test func closeReturnsInTimeWhenTheBrokerNeverAnswers() throws {
        let spool = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let notifier = try Notifier.open(Self.settings(spool: spool, url: Self.downURL, topic: "drclose"))
        for number in 0..<10 { _ = try notifier.notify(json: Self.measure(number)) }
        let started = Date()
        let closed = notifier.close(timeout: .milliseconds(500))
        #expect(Date().timeIntervalSince(started) < 1.6)
        #expect(closed.pending == 10)
        #expect(throws: DirtyRingError.self) { try notifier.notify(json: Self.measure(11)) }
    }

    @Test func anIdleConnectionStaysUpBecauseHeartbeatsAreServiced() throws {
        let spool = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let topic = Fixtures.unique("drheartbeat")
        let notifier = try Notifier.open(Self.settings(spool: spool, topic: topic, heartbeat: 2))
        _ = try notifier.notify(json: Self.measure(1))
        var status = Self.waitFor(notifier) { $0.confirmed == 1 }
        #expect(status.confirmed == 1)
        // The broker drops a connection that stays silent for two heartbeat intervals (4 s).
        Thread.sleep(forTimeInterval: 7)
        _ = try notifier.notify(json: Self.measure(2))
        status = Self.waitFor(notifier) { $0.confirmed == 2 }
        let closed = notifier.close(timeout: .seconds(5))
        #expect(status.confirmed == 2 && status.resent == 0)
        #expect(!(status.log + closed.log).contains { $0.message.contains("lost the broker connection") },
                "\((status.log + closed.log).map(\.message))")
        let cleanup = try Fixtures.connection()
        try cleanup.deleteQueue(topic + ".info")
        try cleanup.deleteExchange(topic)
        cleanup.close()
    }

    /// `DIRTYRING_RABBIT_TLS_URL` and `DIRTYRING_RABBIT_CA` (scripts/lib/rabbitmq.sh): the broker's
    /// TLS listener and the CA that signed its certificate.
    static let tlsURL = ProcessInfo.processInfo.environment["DIRTYRING_RABBIT_TLS_URL"]
        ?? "rabbit://guest:guest@localhost:5671/"
    static let tlsCA = ProcessInfo.processInfo.environment["DIRTYRING_RABBIT_CA"]
        ?? "/etc/rabbitmq/dirtyring-tls/ca.pem"

    @Test func publishesOverTLSWithTheBrokersCertificateVerified() throws {
        let spool = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let topic = Fixtures.unique("drtls")
        let notifier = try Notifier.open(Self.settings(
            spool: spool, url: Self.tlsURL, topic: topic,
            tls: #", "ssl": true, "ssl_ca_file": "\#(Self.tlsCA)", "ssl_enforce_hostname_verification": true"#))
        _ = try notifier.notify(json: Self.measure(1))
        let status = Self.waitFor(notifier) { $0.confirmed == 1 }
        _ = notifier.close(timeout: .seconds(5))
        #expect(status.confirmed == 1, "\(status.lastError ?? "") \(status.log.map(\.message))")
        #expect(status.broker == "localhost:5671")
        let reader = try Fixtures.connection()
        defer { reader.close() }
        let received = try reader.get(queue: topic + ".info")
        #expect(received.map { String(decoding: $0.body, as: UTF8.self) }?.contains("i-1") == true)
        try reader.deleteQueue(topic + ".info")
        try reader.deleteExchange(topic)
    }

    @Test func aBrokerCertificateFromAnotherCAIsRefused() throws {
        let spool = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        // The system's CAs did not sign the test broker's certificate.
        let notifier = try Notifier.open(Self.settings(
            spool: spool, url: Self.tlsURL, topic: "drtlsbad",
            tls: #", "ssl": true, "ssl_ca_file": "/etc/ssl/certs/ca-certificates.crt""#))
        _ = try notifier.notify(json: Self.measure(1))
        let status = Self.waitFor(notifier) { $0.lastError != nil }
        let closed = notifier.close(timeout: .zero)
        #expect(closed.confirmed == 0 && closed.pending == 1)
        #expect(status.lastError?.contains("peer cert verification failed") == true, "\(status.lastError ?? "none")")
    }

    @Test func anInvalidRequestIsLoggedAndCountedNotSent() throws {
        let spool = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let notifier = try Notifier.open(Self.settings(spool: spool, url: Self.downURL, topic: "drinvalid"))
        let noMeasurement = #"{"event": "instance.dirty_rate.measure", "instance": {"uuid": "u", "tenant_id": "t", "user_id": "u"}}"#
        #expect(try notifier.notify(json: noMeasurement) == 1)
        #expect(try notifier.notify(json: "not json") == 1)
        #expect(try notifier.notify(json: Self.measure(3)) == 1)
        let status = Self.waitFor(notifier) { $0.invalid == 2 && $0.pending == 1 }
        _ = notifier.close(timeout: .zero)
        #expect(status.accepted == 3 && status.invalid == 2 && status.pending == 1)
        let errors = status.log.filter { $0.level == .error }.map(\.message)
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.contains { $0.contains("'measurement'") })
        #expect(try Self.spooledBodies(spool).count == 1)
    }

    @Test func nothingIsSpooledWhenNovaSendsNoNotifications() throws {
        let spool = Self.temporaryDirectory()
        let notifier = try Notifier.open(NotifierSettings(json: """
            {"host": "cmp-test", "notifications": {"driver": ["noop"]}, "spool_dir": "\(spool)",
             "spool_max_bytes": 16777216}
            """))
        #expect(try notifier.notify(json: Self.measure(1)) == 0)
        #expect(!notifier.status().enabled)
        _ = notifier.close(timeout: .zero)
        #expect(!FileManager.default.fileExists(atPath: spool))
    }
}
