/// Nova's `[libvirt]` live-migration settings, as the bounds a forecast is made against.
public struct NovaMigrationLimits: Equatable, Sendable {
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

    /// The deadline Nova gives a guest of `memoryMiB` before it aborts the migration
    /// (`completion timeout x max(2, GiB)`), or `noTimeoutDeadline` when the timeout is off.
    public func deadlineSeconds(memoryMiB: Int, noTimeoutDeadline: Double) -> Double {
        guard completionTimeoutPerGiB > 0 else { return noTimeoutDeadline }
        return completionTimeoutPerGiB * max(Self.minimumTimeoutGiB, Double(memoryMiB) / 1024)
    }

    /// The bandwidth to forecast with: Nova's cap, or `assumedBandwidth` when it is unlimited.
    public func effectiveBandwidth(assumedBandwidth: Double) -> Double {
        bandwidth > 0 ? bandwidth : assumedBandwidth
    }
}
