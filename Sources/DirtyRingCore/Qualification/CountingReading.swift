/// One ring reading of a counting canary beside what the canary itself says it wrote.
public struct CountingReading: Codable, Equatable, Sendable {
    /// The canary's paced rate, MiB/s of distinct pages (its working set holds a period of them).
    public var rateMiBPerSecond: Int
    public var periodSeconds: Int
    /// What the ring read, MiB/s; nil when the measurement failed.
    public var readMiBPerSecond: Double?
    /// The canary's own average rate over the seconds it reported during the measurement;
    /// nil when it reported none (its vCPU did not run).
    public var truthMiBPerSecond: Double?
    /// Why the reading is missing, when it is.
    public var error: String?

    /// The largest relative error a reading may have, above or below the truth.
    public static let tolerance = 0.10

    public init(
        rateMiBPerSecond: Int, periodSeconds: Int, readMiBPerSecond: Double?, truthMiBPerSecond: Double?,
        error: String? = nil
    ) {
        self.rateMiBPerSecond = rateMiBPerSecond
        self.periodSeconds = periodSeconds
        self.readMiBPerSecond = readMiBPerSecond
        self.truthMiBPerSecond = truthMiBPerSecond
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case error
        case rateMiBPerSecond = "rate_mib_per_second"
        case periodSeconds = "period_seconds"
        case readMiBPerSecond = "read_mib_per_second"
        case truthMiBPerSecond = "truth_mib_per_second"
    }

    /// The reading's error relative to the truth (0.5: 50 % too high); nil without both.
    public var relativeError: Double? {
        guard let read = readMiBPerSecond, let truth = truthMiBPerSecond, truth > 0 else { return nil }
        return (read - truth) / truth
    }

    /// Whether the reading is within `tolerance` of the truth.
    public var isAccurate: Bool {
        relativeError.map { abs($0) <= Self.tolerance } ?? false
    }

    /// "read 16.0 for 25.0 MiB/s (-36 %)".
    public var text: String {
        guard let read = readMiBPerSecond else { return "no reading (\(error ?? "measurement failed"))" }
        guard let truth = truthMiBPerSecond else { return "read \(ForecastText.rate(read)), the canary reported nothing" }
        let percent = Int(((relativeError ?? 0) * 100).rounded())
        return "read \(ForecastText.fixed(read, decimals: 1)) for \(ForecastText.rate(truth)) (\(percent >= 0 ? "+" : "")\(percent) %)"
    }
}
