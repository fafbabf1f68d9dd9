@testable import DirtyRingCore
import DirtyRingTestSupport
import Foundation
import Testing

/// Exchange, queue, binding and properties against what oslo declared and sent
/// (`routes.json`, `publish.json`, written by `generate.py`).
@Suite struct NotificationRouteTests {
    static func load(_ name: String) throws -> [OsloJSON] {
        let text = try String(contentsOfFile: Repository.path("tox-data/notifications/" + name), encoding: .utf8)
        guard case .array(let rows) = try OsloJSONParser.parse(text) else { return [] }
        return rows
    }

    static func json(_ value: AMQPFieldValue) -> OsloJSON {
        switch value {
        case .string(let text): .string(text)
        case .integer(let number): .integer(Int(number))
        case .bool(let flag): .bool(flag)
        }
    }

    @Test func declarationsMatchOslo() throws {
        let rows = try Self.load("routes.json")
        #expect(rows.count == 6)
        for row in rows {
            guard case .object(let options)? = row["options"] else { Issue.record("options"); continue }
            let query = options.map { "\($0.0)=\(NotificationWireTests.string($0.1))" }.joined(separator: "&")
            let rabbit = try RabbitOptions().overridden(by: TransportURL.parse("rabbit://h/?" + query))
            let route = try NotificationRoute(topic: "notifications", priority: .warn, options: rabbit.queue)
            let exchange = try #require(row["exchange"])
            #expect(exchange["name"] == .string(route.exchange.name))
            #expect(exchange["type"] == .string(route.exchange.type))
            #expect(exchange["durable"] == .bool(route.exchange.durable), "\(query)")
            #expect(exchange["auto_delete"] == .bool(route.exchange.autoDelete), "\(query)")
            #expect(exchange["passive"] == .bool(route.exchange.passive))
            #expect(exchange["arguments"] == .object([]))
            let queue = try #require(row["queue"])
            #expect(queue["name"] == .string(route.queue.name))
            #expect(queue["binding_key"] == .string(route.routingKey))
            #expect(queue["binding_exchange"] == .string(route.exchange.name))
            #expect(queue["durable"] == .bool(route.queue.durable), "\(query)")
            #expect(queue["auto_delete"] == .bool(route.queue.autoDelete), "\(query)")
            #expect(queue["exclusive"] == .bool(route.queue.exclusive))
            #expect(queue["arguments"] == .array(route.queue.arguments.map { .array([.string($0.0), Self.json($0.1)]) }),
                    "\(query)")
        }
    }

    @Test func publishedPropertiesMatchOslo() throws {
        let inputs = try NotificationWireTests.inputs()
        let sent = try Self.load("publish.json")
        #expect(sent.count == inputs.count)
        for (input, row) in zip(inputs, sent) {
            let priority = try #require(NotificationPriority(rawValue: NotificationWireTests.string(input["priority"])))
            let route = try NotificationRoute(topic: NotificationWireTests.string(input["topic"]), priority: priority)
            #expect(row["exchange"] == .string(route.exchange.name))
            #expect(row["routing_key"] == .string(route.routingKey))
            #expect(row["content_type"] == .string(route.properties.contentType))
            #expect(row["content_encoding"] == .string(route.properties.contentEncoding))
            #expect(row["priority"] == .integer(Int(route.properties.priority)))
            #expect(row["properties"] == .object([("delivery_mode", .integer(Int(route.properties.deliveryMode)))]))
            #expect(row["headers"] == .object([]) && route.properties.headers.isEmpty)
            #expect(row["mandatory"] == .bool(route.mandatory))
            let outgoing = OutgoingNotification(route: route, notification: try NotificationWireTests.notification(input),
                                                driver: NotificationDriver(name: NotificationWireTests.string(input["driver"])))
            #expect(row["body_bytes"] == .integer(outgoing.body.utf8.count))
        }
    }

    @Test func routingKeysAndLimits() throws {
        #expect(try NotificationRoute(topic: "versioned_notifications", priority: .error).routingKey
            == "versioned_notifications.error")
        #expect(try NotificationRoute(controlExchange: "openstack", topic: "t", priority: .sample).exchange.name == "openstack")
        #expect(throws: DirtyRingError.self) { try NotificationRoute(controlExchange: "", topic: "t", priority: .info) }
        #expect(throws: DirtyRingError.self) { try NotificationRoute(topic: "", priority: .info) }
        #expect(throws: DirtyRingError.self) {
            try NotificationRoute(topic: String(repeating: "t", count: 251), priority: .info)
        }
        #expect(try NotificationRoute(topic: String(repeating: "t", count: 250), priority: .info).routingKey.utf8.count == 255)
        var options = NotificationQueueOptions()
        options.amqpDurableQueues = true
        let route = try NotificationRoute(topic: "notifications", priority: .info, options: options)
        #expect(route.exchange.durable && !route.exchangeFallback.durable)
        #expect(route.properties.deliveryMode == 2)
    }

    /// The encoder and the ordered parser on random values and mutated text: never a trap, and
    /// what the encoder writes parses back to the same value.
    @Test func encoderAndParserFuzz() throws {
        var generator = SeededGenerator(seed: 11)
        func randomValue(_ depth: Int) -> OsloJSON {
            switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .integer(Int.random(in: Int.min...Int.max, using: &generator))
            case 3: return .number(Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &generator)))
            case 4:
                let scalars = (0..<Int.random(in: 0..<12, using: &generator)).compactMap { _ in
                    Unicode.Scalar(UInt32.random(in: 0..<0x11_0000, using: &generator))
                }
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars)
                return .string(String(view))
            case 5: return .array((0..<Int.random(in: 0..<4, using: &generator)).map { _ in randomValue(depth + 1) })
            default:
                return .object((0..<Int.random(in: 0..<4, using: &generator)).map { index in
                    ("k\(index)", randomValue(depth + 1))
                })
            }
        }
        for _ in 0..<2000 {
            let value = randomValue(0)
            let text = value.serialized
            #expect(text.utf8.allSatisfy { $0 < 0x80 })
            let back = try OsloJSONParser.parse(text)
            #expect(back.serialized == text)
        }
        let seeds = try NotificationWireTests.inputs().map(\.serialized) + [String(repeating: "[", count: 100_000)]
        for index in 0..<3000 {
            let mutated = FuzzTests.mutate(seeds[index % seeds.count], &generator)
            if let value = try? OsloJSONParser.parse(mutated) {
                _ = value.serialized
                _ = OsloNotification(messageID: "m", publisherID: "p", eventType: "e", priority: .info, payload: value,
                                     timestamp: try OsloTimestamp(seconds: 0, microseconds: 0), uniqueID: "u").body
            }
        }
    }
}
