/// The pre-flight check of a live migration: from a measured dirty rate, forecast the pre-copy
/// migration and decide, by the configured action, whether it goes ahead.
public enum PrecheckDecision {
    /// The request of `dr_precheck_decide`: the measurement and Nova's own settings.
    public struct Request: Decodable, Sendable {
        public var action: PrecheckAction
        public var measurement: DirtyRateMeasurement
        /// Nova's `[libvirt]` live-migration options.
        public var libvirt: NovaMigrationLimits
        /// MiB/s assumed when Nova's bandwidth is 0 (unlimited).
        public var assumedBandwidth: Double
        /// The deadline when Nova's completion timeout is 0 (none).
        public var noTimeoutDeadlineSeconds: Double

        public init(
            action: PrecheckAction, measurement: DirtyRateMeasurement, libvirt: NovaMigrationLimits,
            assumedBandwidth: Double, noTimeoutDeadlineSeconds: Double
        ) {
            self.action = action
            self.measurement = measurement
            self.libvirt = libvirt
            self.assumedBandwidth = assumedBandwidth
            self.noTimeoutDeadlineSeconds = noTimeoutDeadlineSeconds
        }

        enum CodingKeys: String, CodingKey {
            case action, measurement, libvirt
            case assumedBandwidth = "assumed_bandwidth_megabytes_per_second"
            case noTimeoutDeadlineSeconds = "no_timeout_deadline_seconds"
        }
    }

    /// The result of `dr_precheck_decide`.
    public struct Result: Codable, Equatable, Sendable {
        public var verdict: PrecheckVerdict
        public var forecast: Forecast
        /// The bandwidth, downtime and deadline the forecast was made against.
        public var bounds: MigrationBounds
        /// One line for an operator: what the forecast says, the measured rate, bandwidth and
        /// memory, and what would make it pass (Nova's `[libvirt]` options by name). A refusal
        /// fits, after Nova's "Migration pre-check error: ", in the 255 characters Nova keeps of
        /// an instance action event's details.
        public var reason: String

        public init(verdict: PrecheckVerdict, forecast: Forecast, bounds: MigrationBounds, reason: String) {
            self.verdict = verdict
            self.forecast = forecast
            self.bounds = bounds
            self.reason = reason
        }
    }

    /// Decides. A migration forecast to converge is accepted whatever the action; otherwise `warn`
    /// accepts, `throttle` throttles and `reject` rejects. Throws `invalidRequest` naming the
    /// field when a number is out of bounds.
    public static func decide(_ request: Request) throws(DirtyRingError) -> Result {
        var fields = ForecastParameters.FieldNames()
        fields.memory = "measurement.memory_mib"
        fields.dirtyRate = "measurement.megabytes_per_second"
        fields.bandwidth = "bandwidth (libvirt.live_migration_bandwidth, or assumed_bandwidth_megabytes_per_second when 0)"
        fields.maxDowntime = "libvirt.live_migration_downtime"
        fields.deadline = "deadline (libvirt.live_migration_completion_timeout, or no_timeout_deadline_seconds when 0)"
        let bounds = request.libvirt.bounds(
            memoryMiB: request.measurement.memoryMiB, assumedBandwidth: request.assumedBandwidth,
            noTimeoutDeadline: request.noTimeoutDeadlineSeconds)
        let parameters = try ForecastParameters(
            memoryMiB: request.measurement.memoryMiB, dirtyRate: request.measurement.megabytesPerSecond,
            bandwidth: bounds.bandwidth, maxDowntimeMilliseconds: bounds.maxDowntimeMilliseconds,
            deadlineSeconds: bounds.deadlineSeconds, fields: fields)
        let forecast = Forecast(parameters)
        let verdict: PrecheckVerdict = switch (forecast.converges, request.action) {
        case (true, _), (false, .warn): .accept
        case (false, .throttle): .throttle
        case (false, .reject): .reject
        }
        return Result(
            verdict: verdict, forecast: forecast, bounds: bounds,
            reason: reason(request.measurement, parameters, forecast, action: request.action))
    }

    private static func reason(
        _ measurement: DirtyRateMeasurement, _ parameters: ForecastParameters, _ forecast: Forecast,
        action: PrecheckAction
    ) -> String {
        let facts = "dirties \(ForecastText.rate(parameters.dirtyRate)) "
            + "(\(measurement.mode.rawValue)\(measurement.mode.isEstimate ? ", an estimate" : ""), "
            + "\(measurement.periodSeconds) s), "
            + "link \(ForecastText.rate(parameters.bandwidth)), \(parameters.memoryMiB) MiB"
        guard !forecast.converges else {
            return "converges in about \(ForecastText.seconds(forecast.totalSeconds)) "
                + "in \(forecast.rounds) round\(forecast.rounds == 1 ? "" : "s"), "
                + "\(ForecastText.milliseconds(forecast.downtimeMilliseconds)) downtime: " + facts
        }
        let failure = "would not converge in \(ForecastText.seconds(parameters.deadlineSeconds)): " + facts
            + ", downtime \(ForecastText.milliseconds(parameters.maxDowntimeMilliseconds))"
        guard let limit = forecast.limitMegabytesPerSecond else {
            return failure + "; even idle, one copy takes \(ForecastText.seconds(forecast.floorSeconds)): "
                + "needs more live_migration_bandwidth/_completion_timeout"
                + outcome(action, limit: nil)
        }
        return failure + "; passes with dirty-rate limit \(ForecastText.limit(limit)) "
            + "or more live_migration_bandwidth/_downtime"
            + outcome(action, limit: limit)
    }

    /// What happens to the migration that does not converge, as the end of the reason.
    private static func outcome(_ action: PrecheckAction, limit: Double?) -> String {
        switch action {
        case .warn:
            "; migrating anyway (warn)"
        case .throttle:
            limit == nil ? "; migrating anyway, no limit helps (throttle)" : "; migrating throttled (throttle)"
        case .reject:
            "; refused (reject)"
        }
    }
}
