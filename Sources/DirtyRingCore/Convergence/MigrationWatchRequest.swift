/// The request of `dr_migration_watch_start`: the instance, the strategy and Nova's settings.
public struct MigrationWatchRequest: Decodable, Equatable, Sendable {
    /// The instance as notifications name it; `uuid` is also the domain's UUID.
    public struct Instance: Codable, Equatable, Sendable {
        public var uuid: String
        public var tenantID: String
        public var userID: String

        public init(uuid: String, tenantID: String, userID: String) {
            self.uuid = uuid
            self.tenantID = tenantID
            self.userID = userID
        }

        enum CodingKeys: String, CodingKey {
            case uuid
            case tenantID = "tenant_id"
            case userID = "user_id"
        }
    }

    /// What the pre-flight check measured and assumed, in MiB/s.
    public struct Expected: Decodable, Equatable, Sendable {
        public var dirtyRate: Double
        public var bandwidth: Double

        enum CodingKeys: String, CodingKey {
            case dirtyRate = "dirty_rate_megabytes_per_second"
            case bandwidth = "bandwidth_megabytes_per_second"
        }
    }

    /// Shortest and longest reading interval accepted, in seconds.
    public static let pollRange = 0.1...10.0

    public var instance: Instance
    public var strategy: ConvergeStrategy
    /// The guest's dirty ring in entries (0: none), from the instance's system metadata.
    public var ringSize: Int
    /// Nova's `[libvirt]` live-migration options.
    public var libvirt: NovaMigrationLimits
    /// Whether Nova's flags enable auto-converge (`live_migration_permit_auto_converge`).
    public var novaAutoConverge: Bool
    public var assumedBandwidth: Double
    public var noTimeoutDeadlineSeconds: Double
    public var expected: Expected?
    public var pollSeconds: Double

    enum CodingKeys: String, CodingKey {
        case instance, strategy, libvirt, expected
        case ringSize = "ring_size"
        case novaAutoConverge = "nova_auto_converge"
        case assumedBandwidth = "assumed_bandwidth_megabytes_per_second"
        case noTimeoutDeadlineSeconds = "no_timeout_deadline_seconds"
        case pollSeconds = "poll_seconds"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        instance = try container.decode(Instance.self, forKey: .instance)
        strategy = try container.decode(ConvergeStrategy.self, forKey: .strategy)
        ringSize = try container.decodeIfPresent(Int.self, forKey: .ringSize) ?? 0
        libvirt = try container.decode(NovaMigrationLimits.self, forKey: .libvirt)
        novaAutoConverge = try container.decodeIfPresent(Bool.self, forKey: .novaAutoConverge) ?? false
        assumedBandwidth = try container.decode(Double.self, forKey: .assumedBandwidth)
        noTimeoutDeadlineSeconds = try container.decode(Double.self, forKey: .noTimeoutDeadlineSeconds)
        expected = try container.decodeIfPresent(Expected.self, forKey: .expected)
        pollSeconds = try container.decodeIfPresent(Double.self, forKey: .pollSeconds) ?? 0.5
        guard Self.pollRange.contains(pollSeconds) else {
            throw DirtyRingError(kind: .invalidRequest, message: "poll_seconds = \(pollSeconds) is invalid: must be from 0.1 to 10")
        }
        guard ringSize >= 0 else {
            throw DirtyRingError(kind: .invalidRequest, message: "ring_size = \(ringSize) is invalid: must be at least 0")
        }
    }
}
