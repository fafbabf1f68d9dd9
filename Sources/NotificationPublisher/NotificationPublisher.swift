import AMQPClient
import DirtyRingCore

/// Publishes planned notifications over one broker connection, synchronously: each call
/// declares the message's route (once per connection), publishes, and waits for the broker's
/// confirm. Not thread-safe; one publisher per thread.
public final class NotificationPublisher {
    public let connection: AMQPConnection
    private var declaredRoutes: [NotificationRoute] = []

    private init(connection: AMQPConnection) {
        self.connection = connection
    }

    /// The index in `NotificationBroker.hosts` of the host connected to.
    public private(set) var hostIndex = 0

    /// Connects to the first broker host that accepts, in `transport_url` order from
    /// `firstHost` on (round robin), each attempt bounded by `broker.timeouts`, and turns on
    /// publisher confirms. When every host fails, the error is the last host's, with every
    /// attempt listed in its text.
    public static func connect(to broker: NotificationBroker, firstHost: Int = 0,
                               connectionName: String = "") throws(AMQPError) -> NotificationPublisher {
        var failures: [AMQPError] = []
        let count = broker.hosts.count
        for step in 0..<count {
            let index = ((firstHost % count) + count + step) % count
            let host = broker.hosts[index]
            do {
                let connection = try AMQPConnection.open(
                    host: host.hostname, port: host.port, virtualHost: broker.virtualHost, user: host.loginUsername,
                    password: host.loginPassword, tls: broker.tls, heartbeatSeconds: broker.heartbeatSeconds,
                    connectionName: connectionName, timeouts: broker.timeouts)
                try connection.confirmSelect()
                let publisher = NotificationPublisher(connection: connection)
                publisher.hostIndex = index
                return publisher
            } catch {
                failures.append(error)
            }
        }
        guard var last = failures.last else {
            throw AMQPError(kind: .invalidArgument, text: "no broker host", address: "")
        }
        if failures.count > 1 { last.text = "every host failed: " + failures.map(\.description).joined(separator: "; ") }
        throw last
    }

    /// Declares the exchange, the queue and its binding as oslo does (kombu's order), unless
    /// this connection already has.
    public func declare(_ route: NotificationRoute) throws(AMQPError) {
        guard !declaredRoutes.contains(route) else { return }
        let exchange = route.exchange, queue = route.queue
        try connection.declareExchange(exchange.name, type: exchange.type, passive: exchange.passive,
                                       durable: exchange.durable, autoDelete: exchange.autoDelete,
                                       internal: exchange.internal)
        try connection.declareQueue(queue.name, durable: queue.durable, exclusive: queue.exclusive,
                                    autoDelete: queue.autoDelete, arguments: queue.arguments)
        try connection.bind(queue: queue.name, exchange: exchange.name, routingKey: route.routingKey)
        declaredRoutes.append(route)
    }

    /// Sends `notification` on its route and returns the broker's confirm (`.timeout` when none
    /// came within `confirmTimeout`).
    public func publish(_ notification: OutgoingNotification, confirmTimeout: Duration) throws(AMQPError) -> AMQPConfirm {
        let tag = try send(notification)
        return try connection.waitForConfirm(deliveryTag: tag, timeout: confirmTimeout)
    }

    /// Sends every notification, then waits for all their confirms within `confirmTimeout`
    /// altogether; the outcomes are in the same order.
    public func publish(_ notifications: [OutgoingNotification], confirmTimeout: Duration) throws(AMQPError) -> [AMQPConfirm] {
        var tags: [UInt64] = []
        for notification in notifications { tags.append(try send(notification)) }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: confirmTimeout)
        var outcomes: [AMQPConfirm] = []
        for tag in tags {
            outcomes.append(try connection.waitForConfirm(deliveryTag: tag, timeout: max(clock.now.duration(to: deadline), .zero)))
        }
        return outcomes
    }

    /// Declares the route and publishes the body with the route's properties; returns the
    /// delivery tag.
    public func send(_ notification: OutgoingNotification) throws(AMQPError) -> UInt64 {
        try send(body: notification.body, route: notification.route)
    }

    /// Declares `route` and publishes `body` with the route's properties; returns the delivery tag.
    public func send(body: String, route: NotificationRoute) throws(AMQPError) -> UInt64 {
        try declare(route)
        let properties = AMQPMessageProperties(
            contentType: route.properties.contentType, contentEncoding: route.properties.contentEncoding,
            headers: route.properties.headers.map { ($0.0, $0.1) }, deliveryMode: route.properties.deliveryMode,
            priority: route.properties.priority)
        return try connection.publish(exchange: route.exchange.name, routingKey: route.routingKey,
                                      mandatory: route.mandatory, immediate: route.immediate,
                                      properties: properties, body: Array(body.utf8))
    }

    public func close() {
        connection.close()
    }
}
