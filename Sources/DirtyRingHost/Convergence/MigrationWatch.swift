import DirtyRingCore
import ThreadSupport

/// Watches one outgoing migration on its own thread: reads its progress, lets the
/// `ConvergenceController` decide, sets the dirty-limit it asks for, raises the force-complete
/// flag for Nova, and sends the throttle notifications. A dirty-limit the controller finds
/// without effect is lifted at once. `stop` lifts every throttle.
public final class MigrationWatch: @unchecked Sendable {
    public let request: MigrationWatchRequest
    public let plan: ConvergencePlan
    let bounds: MigrationBounds
    let source: any MigrationJobSource
    let qmp: any QMPChannel
    let journal: ThrottleJournal
    let notify: @Sendable (String) -> Void

    private let lock = ConditionLock()
    /// Serializes QMP commands between the watch thread and `stop`.
    private let commandLock = ConditionLock()
    // Guarded by `lock`.
    private var controller: ConvergenceController
    private var phase = MigrationWatchStatus.Phase.waiting
    private var readings = 0
    private var last: MigrationProgress?
    private var log: [MigrationWatchStatus.LogLine] = []
    private var stopping = false
    private var threadRunning = false
    private var methodUsed = ThrottleMethod.none
    private var firstThrottleAt: Double?
    private var limitInForce: Int?
    /// A set-vcpu-dirty-limit was sent whose outcome is unknown (it timed out).
    private var limitMayBeSet = false
    private var dirtyLimitBroken = false
    private var commands: [String] = []

    init(
        request: MigrationWatchRequest, plan: ConvergencePlan, bounds: MigrationBounds, vcpus: Int,
        source: any MigrationJobSource, qmp: any QMPChannel, journal: ThrottleJournal,
        notify: @escaping @Sendable (String) -> Void
    ) {
        self.request = request
        self.plan = plan
        self.bounds = bounds
        self.source = source
        self.qmp = qmp
        self.journal = journal
        self.notify = notify
        controller = ConvergenceController(plan: plan, bounds: bounds, vcpus: vcpus)
    }

    /// Starts the watch thread; false when no thread can be started.
    func start() -> Bool {
        lock.withLock { threadRunning = true }
        let started = DetachedThread.start { self.run() }
        if !started { lock.withLock { threadRunning = false } }
        return started
    }

    /// The plan, the latest reading and the throttle; hands over the log lines gathered since
    /// the last call.
    public func status() -> MigrationWatchStatus {
        lock.withLock {
            defer { log.removeAll() }
            return MigrationWatchStatus(
                plan: plan, method: controller.method, phase: phase, readings: readings,
                last: last.map(MigrationWatchStatus.Reading.init),
                dirtyLimit: limitInForce, autoConvergePercent: controller.autoConvergePercent,
                forceComplete: controller.forceCompleteRequested, log: log)
        }
    }

    /// Stops watching and lifts every throttle: a dirty-limit is cancelled and checked gone (a
    /// guest whose QEMU is gone has none); QEMU lifts auto-converge itself when the migration
    /// ends, and Nova resumes a guest it paused. `result` (completed, failed, aborted) goes into
    /// the end notification. Waits for the watch thread at most `timeout`.
    public func stop(result: String, timeout: Duration) -> MigrationWatchReport {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        lock.withLock {
            stopping = true
            lock.broadcast()
            while threadRunning {
                let left = ContinuousClock.now.duration(to: deadline)
                guard left > .zero else { break }
                lock.wait(for: left)
            }
        }
        var removed = true
        var failure: DirtyRingError?
        let limited = lock.withLock { limitInForce != nil || limitMayBeSet }
        if limited {
            do {
                try commandLock.withLock { () throws(DirtyRingError) in try liftDirtyLimit() }
                try journal.remove(uuid: request.instance.uuid)
                lock.withLock { limitInForce = nil }
                note(.info, "dirty-limit lifted")
            } catch {
                removed = false
                failure = error
                note(.error, "the dirty-limit could not be lifted (\(error.description)); it stays recorded in "
                    + "\(journal.directory) and is lifted when nova-compute starts again")
            }
        }
        let (method, startedAt, sent) = lock.withLock { (methodUsed, firstThrottleAt, commands) }
        if !limited && method != .none {
            do throws(DirtyRingError) {
                try journal.remove(uuid: request.instance.uuid)
            } catch {
                note(.error, "\(method.rawValue) ended but its record stays: \(error.description)")
            }
        }
        if method != .none {
            let duration = startedAt.map { max(0, UTCTime.monotonic() - $0) } ?? 0
            notify(ThrottleNotice.end(
                instance: request.instance, method: method, result: result, durationSeconds: duration,
                removed: removed, reason: removed ? endReason(method) : "not lifted: \(failure?.message ?? "")"))
        }
        return lock.withLock {
            defer { log.removeAll() }
            return MigrationWatchReport(
                method: method, result: result, removed: removed, commands: sent, error: failure, log: log)
        }
    }

    private func endReason(_ method: ThrottleMethod) -> String {
        switch method {
        case .dirtyLimit: "dirty-limit lifted (cancel-vcpu-dirty-limit), or gone with the source QEMU"
        case .autoConverge: "QEMU lifts auto-converge when the migration ends"
        case .forceComplete: "the guest runs on the destination, or Nova resumed it on the source"
        case .none: ""
        }
    }

    /// Cancels the limit and checks that no vCPU keeps one. A guest that is gone has none.
    private func liftDirtyLimit() throws(DirtyRingError) {
        do throws(DirtyRingError) {
            try DirtyLimitCommands.lift { command throws(DirtyRingError) in try send(command) }
        } catch where error.kind == .noDomain {
            return
        }
    }

    /// Sends one command, recorded for the report.
    private func send(_ command: String) throws(DirtyRingError) -> String {
        lock.withLock { commands.append(command) }
        return try qmp.execute(command)
    }

    private func note(_ level: MigrationWatchStatus.LogLine.Level, _ message: String) {
        lock.withLock {
            if log.count >= 100 { log.removeFirst() }
            log.append(.init(level: level, message: message))
        }
    }

    private func run() {
        defer {
            lock.withLock {
                threadRunning = false
                lock.broadcast()
            }
        }
        note(.info, "convergence plan: \(plan.method.rawValue): \(plan.reason)")
        while !lock.withLock({ stopping }) {
            do {
                if let progress = try source.progress() {
                    let events = lock.withLock {
                        phase = .migrating
                        readings += 1
                        last = progress
                        return controller.observe(progress)
                    }
                    for event in events { handle(event, progress) }
                } else {
                    lock.withLock { if phase == .migrating { phase = .ended } }
                }
            } catch where error.kind == .noDomain {
                lock.withLock { if phase == .migrating { phase = .ended } }
            } catch {
                note(.warning, "cannot read the migration's progress: \(error.description)")
            }
            lock.withLock { if !stopping { lock.wait(seconds: request.pollSeconds) } }
        }
    }

    private func handle(_ event: ConvergenceController.Event, _ progress: MigrationProgress) {
        switch event {
        case .setDirtyLimit(let limit, let reason):
            guard setDirtyLimit(limit, reason: reason) else { return }
            started(.dirtyLimit, reason: reason, progress: progress, dirtyLimit: limit, percent: nil)
        case .forceComplete(let reason):
            note(.warning, reason)
            started(.forceComplete, reason: reason, progress: progress, dirtyLimit: nil, percent: nil)
        case .autoConvergeThrottle(let percent):
            guard percent > 0 else { return }
            let reason = "QEMU's auto-converge throttles the vCPUs at \(percent) %"
            note(.info, reason)
            started(.autoConverge, reason: reason, progress: progress, dirtyLimit: nil, percent: percent)
        case .notConverging(let reason):
            note(.warning, reason)
        case .ineffective(let method, let next, let reason):
            note(.warning, reason)
            if method == .dirtyLimit { dropDirtyLimit() }
            started(next, reason: reason, progress: progress, dirtyLimit: nil, percent: nil, ineffective: method)
        }
    }

    /// Records the method now acting (not `none`: the end notification names the last real one)
    /// and sends the start notification; `ineffective` is the method it replaces for lack of effect.
    private func started(
        _ method: ThrottleMethod, reason: String, progress: MigrationProgress, dirtyLimit: Int?, percent: Int?,
        ineffective: ThrottleMethod? = nil
    ) {
        let limited = lock.withLock {
            if method != .none { methodUsed = method }
            if firstThrottleAt == nil { firstThrottleAt = UTCTime.monotonic() }
            return limitInForce != nil || limitMayBeSet
        }
        // A dirty-limit is recorded as it is set; another method when it starts, unless a limit
        // that could not be lifted keeps its own record.
        if method != .dirtyLimit && method != .none && !limited {
            do throws(DirtyRingError) {
                try journal.write(ThrottleRecord(
                    instance: request.instance, method: method, dirtyLimit: nil, appliedAt: UTCTime.now()))
            } catch {
                note(.error, "\(method.rawValue) not recorded (a crash would leave no end notification): "
                    + error.description)
            }
        }
        notify(ThrottleNotice.start(
            instance: request.instance, method: method, reason: reason, vcpus: controller.vcpus,
            dirtyLimit: dirtyLimit, autoConvergePercent: percent, progress: progress,
            deadlineSeconds: bounds.deadlineSeconds, ineffectiveMethod: ineffective))
    }

    /// Lifts a dirty-limit that had no effect and forgets its record. One that cannot be lifted
    /// stays in force and recorded, and `stop` tries again.
    private func dropDirtyLimit() {
        do throws(DirtyRingError) {
            let lifted = try commandLock.withLock { () throws(DirtyRingError) -> Bool in
                guard lock.withLock({ !stopping && (limitInForce != nil || limitMayBeSet) }) else { return false }
                try liftDirtyLimit()
                try journal.remove(uuid: request.instance.uuid)
                lock.withLock {
                    limitInForce = nil
                    limitMayBeSet = false
                }
                return true
            }
            if lifted { note(.info, "dirty-limit lifted") }
        } catch {
            note(.error, "the dirty-limit without effect could not be lifted (\(error.description)); "
                + "it is lifted again when the migration ends")
        }
    }

    /// Records, then sets the limit; false (and logged) when it could not be set. A limit QEMU
    /// refused leaves no record (unless an earlier one is in force); one whose answer never came
    /// is lifted at `stop` all the same.
    private func setDirtyLimit(_ limit: Int, reason: String) -> Bool {
        do throws(DirtyRingError) {
            try commandLock.withLock { () throws(DirtyRingError) in
                guard !lock.withLock({ stopping || dirtyLimitBroken }) else { return }
                try journal.write(ThrottleRecord(
                    instance: request.instance, method: .dirtyLimit, dirtyLimit: limit, appliedAt: UTCTime.now()))
                do throws(DirtyRingError) {
                    try DirtyLimitCommands.checkAnswer(
                        try send(DirtyLimitCommands.set(megabytesPerSecond: limit)), to: "set-vcpu-dirty-limit")
                } catch {
                    let earlier = lock.withLock {
                        if error.kind == .timeout { limitMayBeSet = true }
                        return limitInForce
                    }
                    if let earlier, error.kind != .timeout {
                        try? journal.write(ThrottleRecord(
                            instance: request.instance, method: .dirtyLimit, dirtyLimit: earlier, appliedAt: UTCTime.now()))
                    } else if error.kind != .timeout {
                        try? journal.remove(uuid: request.instance.uuid)
                    }
                    throw error
                }
                lock.withLock { limitInForce = limit }
            }
        } catch {
            lock.withLock { dirtyLimitBroken = true }
            note(.error, "dirty-limit \(limit) MiB/s not set: \(error.description)")
            return false
        }
        let applied = lock.withLock { limitInForce == limit }
        if applied { note(.warning, reason) }
        return applied
    }
}
