/// A throttle acting on a guest during a live migration, written down when it starts (a
/// dirty-limit: before it is set) and erased once it is lifted, so that one left by a crash of
/// nova-compute is found, lifted and its end notified when the driver starts again.
public struct ThrottleRecord: Codable, Equatable, Sendable {
    public var instance: MigrationWatchRequest.Instance
    public var method: ThrottleMethod
    /// MiB/s per vCPU (a dirty-limit only).
    public var dirtyLimit: Int?
    /// ISO 8601 UTC.
    public var appliedAt: String

    public init(instance: MigrationWatchRequest.Instance, method: ThrottleMethod, dirtyLimit: Int?, appliedAt: String) {
        self.instance = instance
        self.method = method
        self.dirtyLimit = dirtyLimit
        self.appliedAt = appliedAt
    }

    enum CodingKeys: String, CodingKey {
        case instance, method
        case dirtyLimit = "dirty_limit_megabytes_per_second"
        case appliedAt = "applied_at"
    }
}
