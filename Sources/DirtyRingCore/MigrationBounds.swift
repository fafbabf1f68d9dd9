/// What a migration is forecast against: the link, the pause Nova allows, and the time it has.
public struct MigrationBounds: Codable, Equatable, Sendable {
    /// MiB/s.
    public var bandwidth: Double
    public var maxDowntimeMilliseconds: Double
    public var deadlineSeconds: Double

    public init(bandwidth: Double, maxDowntimeMilliseconds: Double, deadlineSeconds: Double) {
        self.bandwidth = bandwidth
        self.maxDowntimeMilliseconds = maxDowntimeMilliseconds
        self.deadlineSeconds = deadlineSeconds
    }

    enum CodingKeys: String, CodingKey {
        case bandwidth = "bandwidth_megabytes_per_second"
        case maxDowntimeMilliseconds = "max_downtime_ms"
        case deadlineSeconds = "deadline_seconds"
    }
}
