import AMQPClient
import DirtyRingCore
import ThreadSupport

/// The publisher thread: owns the broker connection.
extension Notifier {
    /// Most messages sent and not yet confirmed.
    static let window = 512
    /// Most bytes sent between two reads of the broker's frames (well below a socket buffer, so
    /// that a connection.blocked is read before the socket fills).
    static let burstBytes = 256 << 10
    /// A sent message not confirmed within this (while the broker does not block us) means the
    /// connection is broken: it is dropped and everything unconfirmed is sent again.
    static let confirmTimeout = Duration.seconds(30)
    /// How long the idle thread sleeps between two reads of the socket (heartbeats, close).
    static let idlePoll = Duration.milliseconds(500)
    /// How often the spool's `confirmed` mark is written while messages flow.
    static let persistInterval = Duration.milliseconds(200)

    /// The connection and what was sent on it.
    private final class Link {
        let publisher: NotificationPublisher
        /// Sequence of each unconfirmed delivery tag.
        var sequences: [UInt64: UInt64] = [:]
        /// When the oldest unconfirmed message was sent.
        var oldestSentAt: ContinuousClock.Instant?
        /// The route of the last record sent (records mostly share one) and the others seen.
        var lastRoute: (SpoolRecord, NotificationRoute)?
        var routes: [String: NotificationRoute] = [:]

        init(_ publisher: NotificationPublisher) {
            self.publisher = publisher
        }
    }

    func runPublisher() {
        let clock = ContinuousClock()
        var link: Link?
        var schedule = ReconnectSchedule(settings.rabbit)
        var nextAttempt = clock.now
        var firstHost = 0
        var lastPersist = clock.now
        var nonDurableExchanges: Set<String> = []
        while true {
            let now = clock.now
            // What to do: stop, sleep, or work.
            let (stop, hasWaiting) = lock.withLock { () -> (Bool, Bool) in
                let stop = shared.stopDeadline.map {
                    now >= $0 || (shared.spoolerStopped && shared.queue.isEmpty)
                } ?? false
                return (stop, shared.queue.hasWaiting)
            }
            if stop { break }
            if now - lastPersist >= Self.persistInterval {
                persistDone()
                lastPersist = now
            }
            guard let current = link else {
                if !hasWaiting || now < nextAttempt {
                    let wake = hasWaiting ? min(Self.idlePoll, now.duration(to: nextAttempt)) : Self.idlePoll
                    sleep(upTo: wake, forWork: !hasWaiting)
                    continue
                }
                do {
                    let publisher = try NotificationPublisher.connect(to: broker, firstHost: firstHost,
                                                                      connectionName: settings.connectionName)
                    firstHost = publisher.hostIndex
                    let failures = schedule.failures
                    schedule.succeeded()
                    link = Link(publisher)
                    lock.withLock {
                        shared.brokerAddress = publisher.connection.address
                        shared.lastError = nil
                        if failures > 0 {
                            shared.log.append(.info, "notifications: connected to \(publisher.connection.address) after "
                                + "\(failures) failed attempts; \(shared.queue.count) messages to send")
                        }
                    }
                } catch {
                    let delay = schedule.failed()
                    nextAttempt = clock.now.advanced(by: .milliseconds(Int64(delay * 1000)))
                    firstHost += 1
                    lock.withLock {
                        shared.lastError = error.description
                        shared.log.append(.warning, "notifications: cannot reach the broker: \(error); trying again in "
                            + "\(secondsText(delay)) s (\(shared.queue.count) messages kept in the spool)")
                    }
                }
                continue
            }
            do {
                try publish(on: current, clock: clock, nonDurableExchanges: nonDurableExchanges)
            } catch {
                current.publisher.close()
                link = nil
                if let exchange = Self.nonDurableExchange(in: error), !nonDurableExchanges.contains(exchange) {
                    // oslo's fallback: the exchange exists without durability; use it so.
                    nonDurableExchanges.insert(exchange)
                    lock.withLock {
                        shared.resent += shared.queue.resendUnconfirmed()
                        shared.log.append(.warning, "notifications: exchange \(exchange) exists and is not durable; "
                            + "declaring it non-durable as oslo.messaging does (amqp_durable_queues = True)")
                    }
                    continue
                }
                let delay = schedule.failed()
                nextAttempt = clock.now.advanced(by: .milliseconds(Int64(delay * 1000)))
                firstHost += 1
                lock.withLock {
                    let unconfirmed = shared.queue.resendUnconfirmed()
                    shared.resent += unconfirmed
                    shared.brokerAddress = nil
                    shared.blocked = false
                    shared.lastError = error.description
                    let level: NotifierLog.Entry.Level = error.kind == .channelClosed ? .error : .warning
                    shared.log.append(level, "notifications: lost the broker connection: \(error); \(unconfirmed) "
                        + "unconfirmed messages will be sent again; reconnecting in \(secondsText(delay)) s")
                }
            }
        }
        link?.publisher.close()
        persistDone()
        lock.withLock {
            shared.brokerAddress = nil
            shared.publisherStopped = true
            lock.broadcast()
        }
    }

    /// One round on a live connection: read the broker's frames (confirms, blocked, heartbeats),
    /// send a burst of waiting messages unless blocked, or wait for confirms or new messages.
    private func publish(on link: Link, clock: ContinuousClock, nonDurableExchanges: Set<String>) throws(AMQPError) {
        let connection = link.publisher.connection
        try connection.readFrames(timeout: .zero)
        applyConfirms(link)
        let blocked = connection.isBlocked
        let wasBlocked = lock.withLock { () -> Bool in
            let was = shared.blocked
            shared.blocked = blocked
            if blocked != was {
                shared.log.append(blocked ? .warning : .info, blocked
                    ? "notifications: the broker blocked the connection (resource alarm); publishing paused, "
                        + "messages are kept in the spool"
                    : "notifications: the broker unblocked the connection; publishing again")
            }
            return was
        }
        if blocked {
            // Confirms of what was sent before the alarm may still come; nothing new goes out.
            link.oldestSentAt = link.oldestSentAt.map { _ in clock.now }
            try connection.readFrames(timeout: .milliseconds(250))
            applyConfirms(link)
            return
        }
        if wasBlocked, link.oldestSentAt != nil { link.oldestSentAt = clock.now }

        let room = Self.window - link.sequences.count
        let batch = room > 0
            ? lock.withLock { shared.queue.takeWaiting(limit: room, maximumBytes: Self.burstBytes) } : []
        if !batch.isEmpty {
            for record in batch {
                let tag = try link.publisher.send(
                    body: record.body,
                    route: try route(for: record, link: link, nonDurable: nonDurableExchanges.contains(record.exchange)))
                link.sequences[tag] = record.sequence
            }
            if link.oldestSentAt == nil { link.oldestSentAt = clock.now }
            return
        }
        if !link.sequences.isEmpty {
            if let oldest = link.oldestSentAt, clock.now - oldest > Self.confirmTimeout {
                throw AMQPError(kind: .timeout, text: "no confirm from the broker within "
                    + "\(Self.confirmTimeout.components.seconds) s", address: connection.address)
            }
            try connection.readFrames(timeout: .milliseconds(50))
            applyConfirms(link)
            return
        }
        sleep(upTo: Self.idlePoll, forWork: true)
    }

    /// Hands the broker's acks and nacks to the queue.
    private func applyConfirms(_ link: Link) {
        let confirms = link.publisher.connection.takeConfirms()
        guard !confirms.isEmpty else { return }
        lock.withLock {
            for (tag, outcome) in confirms {
                guard let sequence = link.sequences.removeValue(forKey: tag) else { continue }
                let acknowledged = outcome == .ack
                if shared.queue.settle(sequence, acknowledged: acknowledged) {
                    if acknowledged { shared.confirmed += 1 } else { shared.resent += 1 }
                }
            }
        }
        link.oldestSentAt = link.sequences.isEmpty ? nil : ContinuousClock().now
    }

    /// The route of a record under the queue flags in force, declared once per connection.
    private func route(for record: SpoolRecord, link: Link, nonDurable: Bool) throws(AMQPError) -> NotificationRoute {
        if let (last, route) = link.lastRoute, last.exchange == record.exchange, last.topic == record.topic,
           last.priority == record.priority {
            return route
        }
        let found = try routeLookup(for: record, link: link, nonDurable: nonDurable)
        link.lastRoute = (record, found)
        return found
    }

    private func routeLookup(for record: SpoolRecord, link: Link, nonDurable: Bool) throws(AMQPError) -> NotificationRoute {
        let key = record.exchange + "\u{0}" + record.topic + "\u{0}" + record.priority.rawValue
        if let route = link.routes[key] { return route }
        do {
            var route = try NotificationRoute(controlExchange: record.exchange, topic: record.topic,
                                              priority: record.priority, options: settings.config.queue)
            if nonDurable { route.exchange = route.exchangeFallback }
            link.routes[key] = route
            return route
        } catch {
            throw AMQPError(kind: .invalidArgument, text: error.message, address: link.publisher.connection.address)
        }
    }

    /// Sleeps until `close` wakes the thread or `duration` passed. `forWork`: the thread has
    /// nothing to do, so `notify` wakes it too (and it does not sleep when work has come);
    /// otherwise (waiting to reconnect) new messages do not wake it.
    private func sleep(upTo duration: Duration, forWork: Bool) {
        lock.withLock {
            if forWork, shared.queue.hasWaiting { return }
            if shared.stopDeadline != nil { return }
            shared.publisherSleeping = forWork
            lock.wait(for: max(.milliseconds(1), duration))
            shared.publisherSleeping = false
        }
    }

    /// Writes the spool's `confirmed` mark and removes finished segments.
    func persistDone() {
        guard let spool else { return }
        let done = lock.withLock { shared.queue.doneThrough }
        do {
            try spool.markDone(through: done)
        } catch {
            lock.withLock {
                shared.lastSpoolError = error.description
                shared.log.append(.error, "notification spool: cannot record confirmed messages: \(error)")
            }
        }
    }

    /// The exchange of a 406 "inequivalent arg 'durable'" on its declaration, as oslo's
    /// `_publish` recognises it.
    static func nonDurableExchange(in error: AMQPError) -> String? {
        guard error.kind == .channelClosed, error.replyCode == 406, error.text.hasPrefix("exchange.declare "),
              error.text.contains("inequivalent arg 'durable'"), error.text.contains("current is 'false'")
        else { return nil }
        let name = error.text.dropFirst("exchange.declare ".count).prefix { $0 != ":" }
        return name.isEmpty ? nil : String(name)
    }
}
