import DirtyRingCore

/// What `dr_migration_watch_status` reports: the plan, the latest reading, the throttle in force,
/// whether Nova must force the migration to complete, and the log lines since the last call.
public struct MigrationWatchStatus: Encodable, Sendable {
    public enum Phase: String, Encodable, Sendable {
        /// No outgoing migration seen yet.
        case waiting
        case migrating
        /// The migration was seen and no longer runs.
        case ended
    }

    /// One line for nova-compute's log.
    public struct LogLine: Encodable, Equatable, Sendable {
        public enum Level: String, Encodable, Sendable { case info, warning, error }
        public var level: Level
        public var message: String
    }

    public var plan: ConvergencePlan
    /// The method acting now: the plan's, until it showed no effect.
    public var method: ThrottleMethod
    public var phase: Phase
    public var readings: Int
    public var last: Reading?
    /// MiB/s per vCPU, when a dirty-limit is in force.
    public var dirtyLimit: Int?
    public var autoConvergePercent: Int
    /// Set once the controller asks for Nova's force-complete; stays set.
    public var forceComplete: Bool
    public var log: [LogLine]

    /// A reading as reported.
    public struct Reading: Encodable, Sendable {
        public var elapsedSeconds: Double
        public var iteration: Int
        public var remainingMiB: Double
        public var dirtyRateMiB: Double
        public var bandwidthMiB: Double

        init(_ progress: MigrationProgress) {
            elapsedSeconds = progress.elapsedSeconds
            iteration = progress.iteration
            remainingMiB = progress.memoryRemainingMiB
            dirtyRateMiB = progress.dirtyRateMiB
            bandwidthMiB = progress.bandwidthMiB
        }

        enum CodingKeys: String, CodingKey {
            case iteration
            case elapsedSeconds = "elapsed_seconds"
            case remainingMiB = "remaining_megabytes"
            case dirtyRateMiB = "dirty_rate_megabytes_per_second"
            case bandwidthMiB = "bandwidth_megabytes_per_second"
        }
    }

    enum CodingKeys: String, CodingKey {
        case plan, method, phase, readings, last, log
        case dirtyLimit = "dirty_limit_megabytes_per_second"
        case autoConvergePercent = "auto_converge_percent"
        case forceComplete = "force_complete"
    }

    /// Encodes `dirty_limit_megabytes_per_second` and `last` as null when absent.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(plan, forKey: .plan)
        try container.encode(method, forKey: .method)
        try container.encode(phase, forKey: .phase)
        try container.encode(readings, forKey: .readings)
        try container.encode(last, forKey: .last)
        try container.encode(dirtyLimit, forKey: .dirtyLimit)
        try container.encode(autoConvergePercent, forKey: .autoConvergePercent)
        try container.encode(forceComplete, forKey: .forceComplete)
        try container.encode(log, forKey: .log)
    }
}

/// What `dr_migration_watch_stop` reports: which throttle the migration had and whether none is
/// left.
public struct MigrationWatchReport: Encodable, Sendable {
    /// The throttle used, `none` when the migration needed none.
    public var method: ThrottleMethod
    /// How the migration ended, as the caller said.
    public var result: String
    /// True when no throttle of ours is left on the guest.
    public var removed: Bool
    /// The QMP commands sent, in order.
    public var commands: [String]
    public var error: DirtyRingError?
    public var log: [MigrationWatchStatus.LogLine]

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(method, forKey: .method)
        try container.encode(result, forKey: .result)
        try container.encode(removed, forKey: .removed)
        try container.encode(commands, forKey: .commands)
        try container.encode(error, forKey: .error)
        try container.encode(log, forKey: .log)
    }

    enum CodingKeys: String, CodingKey { case method, result, removed, commands, error, log }
}
