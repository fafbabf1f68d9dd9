/// The inputs of a pre-copy forecast, validated: every value finite and within the bounds below,
/// so that no forecast computed from them overflows or yields NaN or infinity.
///
/// This is also the request of `dr_migration_forecast`.
public struct ForecastParameters: Equatable, Sendable {
    /// Largest guest memory accepted, in MiB (512 TiB).
    public static let maximumMemoryMiB = 1 << 29
    /// Smallest bandwidth accepted, in MiB/s (about 1 KiB/s).
    public static let minimumBandwidth = 0.001
    /// Largest dirty rate or bandwidth accepted, in MiB/s (1 PiB/s).
    public static let maximumRate = Double(1 << 30)
    /// Largest max downtime accepted, in milliseconds.
    public static let maximumDowntimeMilliseconds = 1e9
    /// Largest deadline accepted, in seconds.
    public static let maximumDeadlineSeconds = 1e9

    /// Guest memory in MiB.
    public var memoryMiB: Int
    /// Rate at which the guest dirties memory, in MiB/s.
    public var dirtyRate: Double
    /// Rate at which the migration transfers memory, in MiB/s.
    public var bandwidth: Double
    /// Longest pause of the guest allowed for the final stop-and-copy, in milliseconds.
    public var maxDowntimeMilliseconds: Double
    /// Time the migration may take before it is given up, in seconds.
    public var deadlineSeconds: Double
    /// Most memory the guest dirties during any one round, in MiB (its writable working set);
    /// never more than `memoryMiB`.
    public var workingSetMiB: Int

    /// The JSON field names under which the inputs arrived, so that an error names the field the
    /// caller sent.
    public struct FieldNames: Sendable {
        public var memory = "memory_mib"
        public var dirtyRate = "dirty_rate_megabytes_per_second"
        public var bandwidth = "bandwidth_megabytes_per_second"
        public var maxDowntime = "max_downtime_ms"
        public var deadline = "deadline_seconds"
        public var workingSet = "working_set_mib"

        public init() {}
    }

    /// Validates the inputs. A working set larger than the memory, or none, is the memory.
    /// Throws `invalidRequest` naming the first field out of bounds.
    public init(
        memoryMiB: Int, dirtyRate: Double, bandwidth: Double, maxDowntimeMilliseconds: Double,
        deadlineSeconds: Double, workingSetMiB: Int? = nil, fields: FieldNames = FieldNames()
    ) throws(DirtyRingError) {
        try Self.check(memoryMiB, fields.memory, 1...Self.maximumMemoryMiB)
        try Self.check(dirtyRate, fields.dirtyRate, 0...Self.maximumRate)
        try Self.check(bandwidth, fields.bandwidth, Self.minimumBandwidth...Self.maximumRate)
        try Self.check(maxDowntimeMilliseconds, fields.maxDowntime, 0...Self.maximumDowntimeMilliseconds)
        try Self.check(deadlineSeconds, fields.deadline, 0...Self.maximumDeadlineSeconds)
        if let workingSetMiB {
            try Self.check(workingSetMiB, fields.workingSet, 0...Int.max)
        }
        self.memoryMiB = memoryMiB
        self.dirtyRate = dirtyRate
        self.bandwidth = bandwidth
        self.maxDowntimeMilliseconds = maxDowntimeMilliseconds
        self.deadlineSeconds = deadlineSeconds
        self.workingSetMiB = min(workingSetMiB ?? memoryMiB, memoryMiB)
    }

    /// The same inputs with another dirty rate, which must lie in 0...`dirtyRate`.
    func limited(to dirtyRate: Double) -> ForecastParameters {
        var parameters = self
        parameters.dirtyRate = dirtyRate
        return parameters
    }

    private static func check(_ value: Double, _ field: String, _ range: ClosedRange<Double>) throws(DirtyRingError) {
        guard value.isFinite, range.contains(value) else {
            throw DirtyRingError(
                kind: .invalidRequest,
                message: "\(field) = \(value) is invalid: must be a number from \(ForecastText.number(range.lowerBound)) "
                    + "to \(ForecastText.number(range.upperBound))")
        }
    }

    private static func check(_ value: Int, _ field: String, _ range: ClosedRange<Int>) throws(DirtyRingError) {
        guard range.contains(value) else {
            let bounds = range.upperBound == Int.max
                ? "at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
            throw DirtyRingError(kind: .invalidRequest, message: "\(field) = \(value) is invalid: must be an integer \(bounds)")
        }
    }
}

extension ForecastParameters: Decodable {
    enum CodingKeys: String, CodingKey {
        case memoryMiB = "memory_mib"
        case dirtyRate = "dirty_rate_megabytes_per_second"
        case bandwidth = "bandwidth_megabytes_per_second"
        case maxDowntimeMilliseconds = "max_downtime_ms"
        case deadlineSeconds = "deadline_seconds"
        case workingSetMiB = "working_set_mib"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            memoryMiB: Self.integer(container.decode(Double.self, forKey: .memoryMiB), "memory_mib"),
            dirtyRate: container.decode(Double.self, forKey: .dirtyRate),
            bandwidth: container.decode(Double.self, forKey: .bandwidth),
            maxDowntimeMilliseconds: container.decode(Double.self, forKey: .maxDowntimeMilliseconds),
            deadlineSeconds: container.decode(Double.self, forKey: .deadlineSeconds),
            workingSetMiB: container.decodeIfPresent(Double.self, forKey: .workingSetMiB).map {
                try Self.integer($0, "working_set_mib")
            })
    }

    /// A JSON number that must be a whole number of MiB.
    private static func integer(_ value: Double, _ field: String) throws(DirtyRingError) -> Int {
        guard let whole = Int(exactly: value) else {
            throw DirtyRingError(kind: .invalidRequest, message: "\(field) = \(value) is invalid: must be an integer")
        }
        return whole
    }
}
