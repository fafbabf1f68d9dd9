@testable import DirtyRingCore
import DirtyRingTestSupport
import Foundation
import Testing

/// `transport_url` against what oslo.messaging and kombu make of the same URLs
/// (`tox-data/notifications/transport_urls.json`, written by `generate.py`).
@Suite struct TransportURLTests {
    /// Where we knowingly differ from oslo: a host with garbage after `]` (oslo ignores it, we
    /// refuse), and a password with `/` (oslo re-quotes it without escaping `/` and kombu then
    /// fails; we log in with it).
    static let deviations = ["rabbit://u:p@[::1]x/", "rabbit://nova:a%2Fb@h/"]

    static func table() throws -> [OsloJSON] {
        let text = try String(contentsOfFile: Repository.path("tox-data/notifications/transport_urls.json"), encoding: .utf8)
        guard case .array(let rows) = try OsloJSONParser.parse(text) else { return [] }
        return rows
    }

    static func string(_ value: OsloJSON?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    @Test func sameBrokersQueryAndOptionsAsOslo() throws {
        let rows = try Self.table()
        #expect(rows.count > 30)
        for row in rows {
            let text = try #require(Self.string(row["url"]))
            if Self.deviations.contains(text) { continue }
            let parsed = Result { () throws(DirtyRingError) in
                let url = try TransportURL.parse(text)
                return (url, try RabbitOptions().overridden(by: url))
            }
            if row["error"] != nil {
                #expect(throws: DirtyRingError.self, "\(text)") { try parsed.get() }
                continue
            }
            let (url, options) = try parsed.get()
            guard case .array(let brokers)? = row["brokers"] else { Issue.record("\(text)"); continue }
            #expect(url.hosts.count == brokers.count, "\(text)")
            for (host, broker) in zip(url.hosts, brokers) {
                #expect(host.hostname == Self.string(broker["hostname"]), "\(text)")
                #expect(broker["port"] == .integer(host.port), "\(text)")
                #expect(host.loginUsername == Self.string(broker["username"]), "\(text)")
                #expect(host.loginPassword == Self.string(broker["password"]), "\(text)")
                #expect(url.virtualHost == Self.string(broker["virtual_host"]), "\(text)")
            }
            guard case .array(let query)? = row["query"] else { Issue.record("\(text)"); continue }
            #expect(url.query.map { [$0.0, $0.1] } == query.map { item -> [String] in
                guard case .array(let pair) = item else { return [] }
                return pair.compactMap(Self.string)
            }, "\(text)")
            #expect(url.scheme == Self.string(row["scheme"]))
            let expected = try #require(row["options"])
            #expect(expected["ssl"] == .bool(options.ssl), "\(text)")
            #expect(Self.string(expected["ssl_ca_file"]) == options.sslCAFile)
            #expect(expected["heartbeat_timeout_threshold"] == .integer(options.heartbeatTimeoutThreshold))
            #expect(expected["amqp_durable_queues"] == .bool(options.queue.amqpDurableQueues), "\(text)")
            #expect(expected["rabbit_quorum_queue"] == .bool(options.queue.rabbitQuorumQueue), "\(text)")
            #expect(expected["rabbit_quorum_delivery_limit"] == .integer(options.queue.rabbitQuorumDeliveryLimit))
            #expect(Self.string(expected["kombu_failover_strategy"]) == options.kombuFailoverStrategy)
        }
    }

    @Test func deviationsAreDeliberate() throws {
        #expect(throws: DirtyRingError.self) { try TransportURL.parse("rabbit://u:p@[::1]x/") }
        #expect(try TransportURL.parse("rabbit://nova:a%2Fb@h/").hosts[0].password == "a/b")
    }

    @Test func theBriefsExample() throws {
        let url = try TransportURL.parse(
            "rabbit://user:pass@h1:5672,user2:pass2@h2:5671/vhost?ssl=1&heartbeat_timeout_threshold=60")
        #expect(url.hosts.map(\.address) == ["h1:5672", "h2:5671"])
        #expect(url.hosts.map(\.loginUsername) == ["user", "user2"])
        #expect(url.virtualHost == "vhost")
        #expect(url.description == "rabbit://user:***@h1:5672,user2:***@h2:5671/vhost?ssl=1&heartbeat_timeout_threshold=60")
        let options = try RabbitOptions().overridden(by: url)
        #expect(options.ssl && options.heartbeatTimeoutThreshold == 60)
        #expect(try TransportURL.parse("rabbit://u:p@[::1]:5672/").hosts[0].address == "[::1]:5672")
        #expect(try TransportURL.parse("rabbit://u:p@[::1]/").hosts[0].port == 5672)
    }

    static let secret = "S3cr3tPa55"

    @Test(arguments: [
        "rabbit://nova:\(secret)@h:abc/", "rabbit://nova:\(secret)@h:99999/", "rabbit://nova:\(secret)@[::1/",
        "amqp://nova:\(secret)@h/", "nova:\(secret)@h", "rabbit://nova:\(secret)@h/?no_such=1",
        "rabbit://nova:\(secret)@h/?ssl=maybe", "rabbit://nova:\(secret)@h/?rabbit_interval_max=0",
        "rabbit://nova:\(secret),x@h/", "rabbit://nova:\(secret)/x@h/", "rabbit://nova:x,\(secret)@h/",
        "rabbit://nova:\(secret)?x@h/", "rabbit://nova:\(secret)#x@h/", "rabbit://nova:\(secret)@h:1,b:\(secret)@[x/",
        "rabbit://nova:\(secret)@h1,h2:\(secret)@[::1]x/", "rabbit://nova:pa,5672,\(secret)@h:bad/",
    ])
    func passwordsNeverShow(text: String) {
        let redacted = TransportURL.redact(text)
        #expect(!redacted.contains(Self.secret), "\(redacted)")
        do {
            let url = try TransportURL.parse(text)
            _ = try RabbitOptions().overridden(by: url)
            #expect(!url.description.contains(Self.secret))
            #expect(!"\(url.hosts.map(\.address))".contains(Self.secret))
        } catch {
            #expect(error.kind == .invalidConfig)
            #expect(error.option == TransportURL.option)
            #expect(error.value == redacted)
            #expect(!error.message.contains(Self.secret), "\(error.message)")
            #expect(!(error.value ?? "").contains(Self.secret))
            #expect(error.message.contains("transport_url"))
        }
    }

    @Test func queueOptionsFromTheURL() throws {
        var options = try RabbitOptions().overridden(by: TransportURL.parse(
            "rabbit://h/?rabbit_quorum_queue=true&rabbit_quorum_max_memory_length=10&rabbit_quorum_max_memory_bytes=3000000000"))
        let arguments = try options.queue.queueArguments()
        #expect(arguments.map(\.0) == ["x-queue-type", "x-max-in-memory-length", "x-max-in-memory-bytes"])
        #expect(arguments.map(\.1.tableType) == ["S", "I", "L"])
        options.queue.rabbitHAQueues = true
        #expect(throws: DirtyRingError.self) { try options.queue.queueArguments() }
    }

    @Test func fuzzNeverTraps() {
        var generator = SeededGenerator(seed: 4)
        let seeds = try! Self.table().compactMap { Self.string($0["url"]) }
        let pieces = ["@", ":", ",", "/", "[", "]", "%", "%2", "%zz", "?", "&", "=", "#", "::", "rabbit://", "é", "\u{0}", " ", "65536", "[::1]"]
        for index in 0..<4000 {
            var scalars = Array(seeds[index % seeds.count].unicodeScalars)
            for _ in 0..<Int.random(in: 1...5, using: &generator) {
                let position = Int.random(in: 0...scalars.count, using: &generator)
                if Bool.random(using: &generator), position < scalars.count {
                    scalars.remove(at: position)
                } else {
                    scalars.insert(contentsOf: (pieces.randomElement(using: &generator) ?? "").unicodeScalars, at: position)
                }
            }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: scalars)
            let input = String(text)
            _ = TransportURL.redact(input)
            if let url = try? TransportURL.parse(input) {
                #expect(!url.hosts.isEmpty && !url.virtualHost.isEmpty)
                _ = try? RabbitOptions().overridden(by: url)
                _ = url.hosts.map(\.address)
            }
        }
    }
}
