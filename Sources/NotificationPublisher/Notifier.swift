#if canImport(Glibc)
import Glibc
#endif
import AMQPClient
import DirtyRingCore
import Synchronization
import ThreadSupport

/// The product's notifier. `notify` only hands the request over (no lock, no parsing), so it
/// returns in microseconds whatever the broker does. Two background threads do the rest: the
/// spooler reads each request, encodes the messages Nova would publish and appends them to the
/// on-disk spool (within a millisecond, whatever the broker's state); the publisher owns the broker
/// connection and publishes them in order under publisher confirms, reconnecting with oslo's
/// backoff and host failover, pausing while the broker blocks the connection, and sending again
/// whatever was not confirmed. A message leaves the spool only once confirmed, or when the spool
/// is full (the oldest go first, counted and logged).
public final class Notifier: @unchecked Sendable {
    public let settings: NotifierSettings
    let broker: NotificationBroker
    let spool: NotificationSpool?
    /// What `notify` hands to the spooler; `notify` takes no lock.
    let intake = IntakeStack()
    /// Messages accepted by `notify`, and dropped there (the spooler does not keep up).
    let acceptedMessages = Atomic<Int>(0)
    let intakeDropped = Atomic<Int>(0)
    let intakeDroppedUnreported = Atomic<Int>(0)
    /// Messages of requests the spooler could not read (logged).
    let invalidMessages = Atomic<Int>(0)
    let closedFlag = Atomic<Bool>(false)
    /// The spooler sleeps on `spoolerLock`'s condition; `notify` then wakes it.
    let spoolerSleeping = Atomic<Bool>(false)
    let spoolerLock = ConditionLock()
    let lock = ConditionLock()
    /// Guarded by `lock`.
    var shared: SharedState
    /// The records found in the spool at open.
    let recoveredCount: Int

    /// What the two threads share with `status` and `close`, guarded by `lock`.
    struct SharedState {
        var queue: OutboxQueue
        var nextSequence: UInt64
        var log = NotifierLog()
        var confirmed = 0
        var resent = 0
        var dropped = 0
        var spoolWriteErrors = 0
        /// Drops and failed appends not yet reported in the log.
        var droppedUnreported = 0
        var spoolErrorsUnreported = 0
        var lastSpoolError: String?
        var brokerAddress: String?
        var blocked = false
        var lastError: String?
        /// The publisher sleeps on `lock`'s condition for work; the spooler wakes it.
        var publisherSleeping = false
        /// Set by `close`: spool everything, publish what can be until then, then stop.
        var stopDeadline: ContinuousClock.Instant?
        var spoolerStopped = false
        var publisherStopped = false
    }

    /// Spool segments roll over at this size (or an eighth of the capacity when smaller).
    static let segmentBytes = 1 << 20

    private init(settings: NotifierSettings, broker: NotificationBroker, spool: NotificationSpool?,
                 recovery: NotificationSpool.Recovery?) {
        self.settings = settings
        self.broker = broker
        self.spool = spool
        var queue = OutboxQueue(capacityBytes: settings.spoolCapacityBytes, doneThrough: recovery?.doneThrough ?? 0)
        var dropped: [SpoolRecord] = []
        for record in recovery?.records ?? [] {
            dropped += queue.append(record, bytes: record.line.utf8.count)
        }
        recoveredCount = recovery?.records.count ?? 0
        shared = SharedState(queue: queue, nextSequence: max(queue.lastSequence, recovery?.doneThrough ?? 0) + 1)
        if recoveredCount > 0 {
            shared.log.append(.info, "notification spool \(settings.spoolDirectory): \(recoveredCount) notification "
                + "messages from an earlier run were not confirmed by the broker; sending them again, in order")
        }
        if let unreadable = recovery?.unreadableLines, unreadable > 0 {
            shared.log.append(.warning, "notification spool \(settings.spoolDirectory): skipped \(unreadable) "
                + "unreadable lines (cut short by a crash, or damaged)")
        }
        if !dropped.isEmpty {
            shared.dropped += dropped.count
            shared.log.append(.warning, "notification spool \(settings.spoolDirectory): dropped the \(dropped.count) "
                + "oldest of the messages from an earlier run: they exceed [dirtyring] notification_spool_max_mb")
        }
    }

    /// Validates the settings, opens the spool (creating its directory) and starts the publisher
    /// thread. Never waits for the broker. When Nova's configuration publishes nothing, the
    /// notifier accepts events and sends nothing, and neither the spool nor a thread is used.
    public static func open(_ settings: NotifierSettings, timeouts: AMQPTimeouts = AMQPTimeouts()) throws(DirtyRingError) -> Notifier {
        let broker = try NotificationBroker(url: settings.transportURL, options: settings.rabbit, timeouts: timeouts)
        guard settings.publishes else {
            let notifier = Notifier(settings: settings, broker: broker, spool: nil, recovery: nil)
            if let reason = settings.unpublishedReason {
                notifier.lock.withLock { notifier.shared.log.append(.warning, reason) }
            }
            return notifier
        }
        let opened: (NotificationSpool, NotificationSpool.Recovery)
        do {
            opened = try NotificationSpool.open(
                directory: settings.spoolDirectory,
                segmentBytes: min(segmentBytes, max(4096, settings.spoolCapacityBytes / 8)))
        } catch {
            throw DirtyRingError(kind: .invalidConfig, message: "cannot use the notification spool: \(error)",
                                 option: NotifierSettings.spoolDirectoryOption, value: settings.spoolDirectory)
        }
        let notifier = Notifier(settings: settings, broker: broker, spool: opened.0, recovery: opened.1)
        guard DetachedThread.start({ notifier.runSpooler() }) else {
            opened.0.close()
            throw DirtyRingError(kind: .internal, message: "cannot start the notification spooler thread")
        }
        guard DetachedThread.start({ notifier.runPublisher() }) else {
            _ = notifier.close(timeout: .zero)
            throw DirtyRingError(kind: .internal, message: "cannot start the notification publisher thread")
        }
        return notifier
    }

    // MARK: - Enqueue

    /// Accepts one event, the `dr_notify` request: `{"event": "<event_type>", ...}` (the members
    /// `NotificationPayload` reads) and optionally `"timestamp_us"` (default: now), for the
    /// messages Nova would publish for it (one per format, driver and topic); returns how many.
    /// Takes no lock and never waits for the broker, the disk or the background threads: the
    /// request is read by the spooler, which logs and counts (`invalid`) one it cannot encode.
    @discardableResult
    public func notify(json: String) throws(DirtyRingError) -> Int {
        guard settings.publishes else { return 0 }
        guard !closedFlag.load(ordering: .acquiring) else {
            throw DirtyRingError(kind: .invalidRequest, message: "the notifier is closed")
        }
        let messages = settings.config.messagesPerNotification
        let bytes = json.utf8.count
        // The spooler is stuck (a hung disk): new events give way beyond twice the capacity.
        guard intake.waitingBytes + bytes <= 2 * settings.spoolCapacityBytes else {
            intakeDropped.add(messages, ordering: .relaxed)
            intakeDroppedUnreported.add(messages, ordering: .relaxed)
            return messages
        }
        intake.push(Intake(request: json, timestamp: try Self.now(), bytes: bytes))
        acceptedMessages.add(messages, ordering: .relaxed)
        if spoolerSleeping.load(ordering: .sequentiallyConsistent) {
            spoolerLock.withLock { spoolerLock.broadcast() }
        }
        return messages
    }

    /// The event and payload fields of a `dr_notify` request, and its timestamp.
    func decode(_ intake: Intake) throws(DirtyRingError) -> (NotificationEvent, OsloJSON, OsloTimestamp) {
        let request = try OsloJSONParser.parse(intake.request)
        guard case .object = request else {
            throw DirtyRingError(kind: .invalidRequest, message: "the request must be a JSON object")
        }
        guard case .string(let name)? = request["event"], let event = NotificationEvent(rawValue: name) else {
            throw DirtyRingError(kind: .invalidRequest, message: "the field 'event' must name an event of the catalogue")
        }
        var timestamp = intake.timestamp
        if let given = request["timestamp_us"] {
            guard case .integer(let microseconds) = given else {
                throw DirtyRingError(kind: .invalidRequest, message: "the field 'timestamp_us' must be an integer")
            }
            timestamp = try OsloTimestamp(microsecondsSinceEpoch: Int64(microseconds))
        }
        return (event, try NotificationPayload.data(for: event, request: request, host: settings.host), timestamp)
    }

    /// The current time as oslo stamps a notification (`timeutils.utcnow()`).
    public static func now() throws(DirtyRingError) -> OsloTimestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return try OsloTimestamp(microsecondsSinceEpoch: Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec / 1000))
    }

    // MARK: - Status and close

    /// The current state; hands over (and forgets) the log lines collected since the last call.
    public func status() -> NotifierStatus {
        let spoolBytes = spool?.bytes ?? 0
        let waiting = intake.waiting
        let accepted = acceptedMessages.load(ordering: .relaxed)
        let droppedHere = intakeDropped.load(ordering: .relaxed)
        let droppedUnreported = intakeDroppedUnreported.exchange(0, ordering: .relaxed)
        return lock.withLock {
            shared.droppedUnreported += droppedUnreported
            return NotifierStatus(
                enabled: settings.publishes, broker: shared.brokerAddress, blocked: shared.blocked,
                pending: shared.queue.count + waiting * settings.config.messagesPerNotification,
                unconfirmed: shared.queue.count(in: .sent),
                spoolDirectory: settings.spoolDirectory, spoolBytes: spoolBytes, recovered: recoveredCount,
                accepted: accepted, invalid: invalidMessages.load(ordering: .relaxed),
                confirmed: shared.confirmed, resent: shared.resent,
                dropped: shared.dropped + droppedHere,
                spoolWriteErrors: shared.spoolWriteErrors, lastError: shared.lastError ?? shared.lastSpoolError,
                log: reportUnreported(totalDropped: shared.dropped + droppedHere) + shared.log.drain())
        }
    }

    /// Stops accepting, lets the publisher send and confirm what it can within `timeout`, then
    /// stops it; what is unconfirmed stays in the spool for the next process. Returns within
    /// `timeout` plus one second even when the broker does not answer; the final status.
    public func close(timeout: Duration) -> NotifierStatus {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: max(timeout, .zero))
        let hardDeadline = deadline.advanced(by: .seconds(1))
        let first = !closedFlag.exchange(true, ordering: .acquiringAndReleasing)
        spoolerLock.withLock { spoolerLock.broadcast() }
        let stopped: Bool = lock.withLock {
            if first {
                shared.stopDeadline = deadline
                lock.broadcast()
            }
            while spool != nil, !(shared.publisherStopped && shared.spoolerStopped) {
                let remaining = clock.now.duration(to: hardDeadline)
                guard remaining > .zero else { break }
                lock.wait(for: remaining)
            }
            return spool == nil || (shared.publisherStopped && shared.spoolerStopped)
        }
        if !stopped {
            lock.withLock {
                shared.log.append(.warning, "the notification publisher did not stop in time (the broker does not "
                    + "answer); \(shared.queue.count) messages stay in the spool for the next start")
            }
        } else {
            spool?.close()
        }
        return status()
    }

    /// Log lines for the drops and failed spool writes not yet reported. Call with `lock` held.
    func reportUnreported(totalDropped: Int) -> [NotifierLog.Entry] {
        var lines: [NotifierLog.Entry] = []
        if shared.droppedUnreported > 0 {
            lines.append(.init(level: .warning, message: "notification spool full ([dirtyring] notification_spool_max_mb "
                + "= \(settings.spoolCapacityBytes >> 20)): dropped the \(shared.droppedUnreported) oldest messages "
                + "(\(totalDropped) since start)"))
            shared.droppedUnreported = 0
        }
        if shared.spoolErrorsUnreported > 0 {
            lines.append(.init(level: .error, message: "cannot write the notification spool (\(shared.lastSpoolError ?? "")): "
                + "\(shared.spoolErrorsUnreported) messages are kept in memory only and are lost if nova-compute stops "
                + "before the broker confirms them"))
            shared.spoolErrorsUnreported = 0
        }
        return lines
    }
}
