/// Nova's `[libvirt]` live-migration settings, from which the bounds of a forecast follow.
public struct NovaMigrationLimits: Codable, Equatable, Sendable {
    /// `live_migration_bandwidth` in MiB/s; 0 means unlimited.
    public var bandwidth: Double
    /// `live_migration_downtime` in milliseconds (the last of Nova's downtime steps).
    public var maxDowntimeMilliseconds: Double
    /// `live_migration_completion_timeout` in seconds per GiB of data; 0 means no timeout.
    public var completionTimeoutPerGiB: Double

    /// Nova's defaults: unlimited bandwidth, 500 ms, 800 s per GiB.
    public static let novaDefaults = NovaMigrationLimits(
        bandwidth: 0, maxDowntimeMilliseconds: 500, completionTimeoutPerGiB: 800)

    /// Nova counts at least this much guest memory when it scales the timeout.
    public static let minimumTimeoutGiB = 2.0

    public init(bandwidth: Double, maxDowntimeMilliseconds: Double, completionTimeoutPerGiB: Double) {
        self.bandwidth = bandwidth
        self.maxDowntimeMilliseconds = maxDowntimeMilliseconds
        self.completionTimeoutPerGiB = completionTimeoutPerGiB
    }

    /// The bounds of a guest of `memoryMiB`: Nova's bandwidth cap (or `assumedBandwidth` when it
    /// is unlimited), its downtime, and the deadline after which Nova aborts the migration
    /// (`completion timeout x max(2, GiB)`, or `noTimeoutDeadline` when the timeout is off).
    public func bounds(memoryMiB: Int, assumedBandwidth: Double, noTimeoutDeadline: Double) -> MigrationBounds {
        let deadline = completionTimeoutPerGiB > 0
            ? completionTimeoutPerGiB * max(Self.minimumTimeoutGiB, Double(memoryMiB) / 1024)
            : noTimeoutDeadline
        return MigrationBounds(
            bandwidth: bandwidth > 0 ? bandwidth : assumedBandwidth,
            maxDowntimeMilliseconds: maxDowntimeMilliseconds, deadlineSeconds: deadline)
    }

    enum CodingKeys: String, CodingKey {
        case bandwidth = "live_migration_bandwidth"
        case maxDowntimeMilliseconds = "live_migration_downtime"
        case completionTimeoutPerGiB = "live_migration_completion_timeout"
    }
}
