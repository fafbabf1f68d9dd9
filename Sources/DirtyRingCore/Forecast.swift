/// What a pre-copy live migration is expected to do: the `forecast` JSON shape of the C ABI.
///
/// Every number is finite, so the forecast always encodes.
public struct Forecast: Codable, Equatable, Sendable {
    /// Whether the migration switches over to the stop-and-copy and ends within the deadline.
    public var converges: Bool
    /// Pre-copy rounds (copies while the guest runs), the stop-and-copy not counted. When it does
    /// not converge: the rounds run until the deadline passed or the round limit was reached.
    public var rounds: Int
    /// Time the migration takes, in seconds; when it does not converge, the time until it was
    /// given up.
    public var totalSeconds: Double
    /// Bytes copied, the stop-and-copy included when there is one.
    public var bytesSent: Int
    /// How long the guest is paused for the stop-and-copy, in milliseconds; when it does not
    /// converge, the pause that forcing the switch-over when it was given up would cost.
    public var downtimeMilliseconds: Double
    /// Time to copy the memory once, the least any migration takes, in seconds.
    public var floorSeconds: Double
    /// The largest dirty-rate limit in MiB/s with which the migration converges within the
    /// deadline; nil when it converges without one, or when no limit makes it (the floor is past
    /// the deadline).
    public var limitMegabytesPerSecond: Double?

    public init(
        converges: Bool, rounds: Int, totalSeconds: Double, bytesSent: Int, downtimeMilliseconds: Double,
        floorSeconds: Double, limitMegabytesPerSecond: Double?
    ) {
        self.converges = converges
        self.rounds = rounds
        self.totalSeconds = totalSeconds
        self.bytesSent = bytesSent
        self.downtimeMilliseconds = downtimeMilliseconds
        self.floorSeconds = floorSeconds
        self.limitMegabytesPerSecond = limitMegabytesPerSecond
    }

    /// Forecasts the migration. Times are rounded to the microsecond.
    public init(_ parameters: ForecastParameters) {
        let simulation = ForecastSimulation(parameters)
        // Bounded: at most `ForecastSimulation.maximumRounds` + 1 copies of at most
        // `ForecastParameters.maximumMemoryMiB` each, about 2^62.3 bytes.
        let bytesSent = Int((simulation.sentMiB * 1_048_576).rounded())
        self.init(
            converges: simulation.converges,
            rounds: simulation.rounds,
            totalSeconds: Self.microseconds(simulation.seconds),
            bytesSent: bytesSent,
            downtimeMilliseconds: Self.microseconds(simulation.remainderMiB / parameters.bandwidth * 1000),
            floorSeconds: Self.microseconds(Double(parameters.memoryMiB) / parameters.bandwidth),
            limitMegabytesPerSecond: ForecastLimit.largest(for: parameters))
    }

    private static func microseconds(_ value: Double) -> Double {
        (value * 1_000_000).rounded() / 1_000_000
    }

    enum CodingKeys: String, CodingKey {
        case converges, rounds
        case totalSeconds = "total_seconds"
        case bytesSent = "bytes_sent"
        case downtimeMilliseconds = "downtime_ms"
        case floorSeconds = "floor_seconds"
        case limitMegabytesPerSecond = "limit_megabytes_per_second"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(converges, forKey: .converges)
        try container.encode(rounds, forKey: .rounds)
        try container.encode(totalSeconds, forKey: .totalSeconds)
        try container.encode(bytesSent, forKey: .bytesSent)
        try container.encode(downtimeMilliseconds, forKey: .downtimeMilliseconds)
        try container.encode(floorSeconds, forKey: .floorSeconds)
        try container.encode(limitMegabytesPerSecond, forKey: .limitMegabytesPerSecond)
    }
}
