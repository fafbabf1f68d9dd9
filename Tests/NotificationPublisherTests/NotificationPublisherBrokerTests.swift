import AMQPClient
@testable import DirtyRingCore
import Foundation
import NotificationPublisher
import Testing

/// Our publisher against the real RabbitMQ: what lands in the queues is what oslo.messaging
/// publishes, byte for byte.
@Suite(.serialized) struct NotificationPublisherBrokerTests {
    @Test func everyFixtureArrivesByteForByteWithOslosProperties() throws {
        let items = try Fixtures.array("inputs.json")
        let recorded = try Fixtures.array("publish.json")
        #expect(items.count == 15)
        let outgoing = try items.map { try Fixtures.outgoing($0) }

        let reader = try Fixtures.connection()
        defer { reader.close() }
        for queue in Set(outgoing.map(\.route.queue.name)) { try reader.deleteQueue(queue) }

        let publisher = try NotificationPublisher.connect(to: Fixtures.broker())
        defer { publisher.close() }
        #expect(try publisher.publish(outgoing, confirmTimeout: .seconds(10)) == Array(repeating: .ack, count: items.count))

        for (item, message) in zip(items, outgoing) {
            let name = Fixtures.string(item["name"])
            let publish = try #require(recorded.first { Fixtures.string($0["name"]) == name }, "\(name)")
            let received = try #require(try reader.get(queue: message.route.queue.name), "\(name)")
            #expect(received.body == Array(try Fixtures.text(name + ".json").utf8), "\(name)")
            #expect(publish["body_bytes"] == .integer(received.body.count), "\(name)")
            #expect(received.exchange == Fixtures.string(publish["exchange"]), "\(name)")
            #expect(received.routingKey == Fixtures.string(publish["routing_key"]), "\(name)")
            #expect(publish["headers"] == .object([]) && publish["mandatory"] == .bool(false), "\(name)")
            guard case .integer(let deliveryMode)? = publish["properties"]?["delivery_mode"],
                  case .integer(let priority)? = publish["priority"] else {
                Issue.record("\(name): publish.json lacks delivery_mode or priority")
                continue
            }
            let expected = AMQPMessageProperties(
                contentType: Fixtures.string(publish["content_type"]),
                contentEncoding: Fixtures.string(publish["content_encoding"]), headers: [],
                deliveryMode: UInt8(deliveryMode), priority: UInt8(priority))
            #expect(received.properties == expected, "\(name)")
        }
        for queue in Set(outgoing.map(\.route.queue.name)) {
            #expect(try reader.get(queue: queue) == nil, "\(queue) has more messages than were published")
        }
    }

    @Test func declaringAQueueWithOtherDurabilityIsThe406() throws {
        let queue = Fixtures.unique("drtest-durable")
        let first = try Fixtures.connection()
        defer { first.close() }
        try first.declareQueue(queue, durable: true, autoDelete: false)
        defer {
            let cleanup = try? Fixtures.connection()
            try? cleanup?.deleteQueue(queue)
            cleanup?.close()
        }

        let second = try Fixtures.connection()
        defer { second.close() }
        #expect {
            try second.declareQueue(queue, durable: false, autoDelete: false)
        } throws: { error in
            guard let error = error as? AMQPError else { return false }
            return error.kind == .channelClosed && error.replyCode == 406 && error.text.contains("PRECONDITION_FAILED")
        }
        // The channel is gone: later calls report the same error instead of hanging.
        #expect(throws: AMQPError.self) { try second.declareQueue(queue, durable: true, autoDelete: false) }
    }

    @Test func publisherReportsTheQueue406AsATypedError() throws {
        let topic = Fixtures.unique("drtest-topic")
        let exchange = Fixtures.unique("drtest-exchange")
        let setup = try Fixtures.connection()
        defer { setup.close() }
        try setup.declareQueue(topic + ".info", durable: true, autoDelete: false)
        defer {
            let cleanup = try? Fixtures.connection()
            try? cleanup?.deleteQueue(topic + ".info")
            try? cleanup?.deleteExchange(exchange)
            cleanup?.close()
        }

        var outgoing = try Fixtures.outgoing(try Fixtures.array("inputs.json")[0], exchange: exchange, topic: topic)
        outgoing.route = try NotificationRoute(controlExchange: exchange, topic: topic, priority: .info)
        let publisher = try NotificationPublisher.connect(to: Fixtures.broker())
        defer { publisher.close() }
        #expect {
            _ = try publisher.publish(outgoing, confirmTimeout: .seconds(5))
        } throws: { error in
            (error as? AMQPError)?.replyCode == 406
        }
    }

    @Test func aQuorumQueueRouteIsDeclaredWithItsArgumentsAndDelivers() throws {
        let exchange = Fixtures.unique("drtest-quorum")
        var options = NotificationQueueOptions()
        options.rabbitQuorumQueue = true
        var outgoing = try Fixtures.outgoing(try Fixtures.array("inputs.json")[0])
        outgoing.route = try NotificationRoute(controlExchange: exchange, topic: exchange, priority: .info, options: options)
        #expect(outgoing.route.queue.durable && outgoing.route.queue.arguments.contains { $0.0 == "x-queue-type" })
        let reader = try Fixtures.connection()
        defer {
            try? reader.deleteQueue(outgoing.route.queue.name)
            try? reader.deleteExchange(exchange)
            reader.close()
        }
        let publisher = try NotificationPublisher.connect(to: Fixtures.broker())
        defer { publisher.close() }
        #expect(try publisher.publish(outgoing, confirmTimeout: .seconds(10)) == .ack)
        #expect(try reader.get(queue: outgoing.route.queue.name)?.body == Array(outgoing.body.utf8))
    }

    @Test func aMessageTheBrokerRefusesIsNacked() throws {
        let queue = Fixtures.unique("drtest-full")
        let connection = try Fixtures.connection()
        defer {
            try? connection.deleteQueue(queue)
            connection.close()
        }
        try connection.declareQueue(queue, durable: false, autoDelete: false,
                                    arguments: [("x-max-length", .integer(0)), ("x-overflow", .string("reject-publish"))])
        try connection.confirmSelect()
        let tag = try connection.publish(exchange: "", routingKey: queue, properties: AMQPMessageProperties(), body: [1, 2])
        #expect(tag == 1)
        #expect(try connection.waitForConfirm(deliveryTag: tag, timeout: .seconds(5)) == .nack)
        #expect(throws: AMQPError.self) { try connection.waitForConfirm(deliveryTag: tag, timeout: .seconds(1)) }
    }
}
