/// The pre-flight check of a live migration: from a measured dirty rate, forecast the pre-copy
/// migration and decide, by the configured action, whether it goes ahead.
public enum PrecheckDecision {
    /// The request of `dr_precheck_decide`.
    public struct Request: Decodable, Sendable {
        public var action: PrecheckAction
        public var measurement: DirtyRateMeasurement
        public var bandwidthMegabytesPerSecond: Double
        public var maxDowntimeMilliseconds: Double
        public var deadlineSeconds: Double

        public init(
            action: PrecheckAction, measurement: DirtyRateMeasurement, bandwidthMegabytesPerSecond: Double,
            maxDowntimeMilliseconds: Double, deadlineSeconds: Double
        ) {
            self.action = action
            self.measurement = measurement
            self.bandwidthMegabytesPerSecond = bandwidthMegabytesPerSecond
            self.maxDowntimeMilliseconds = maxDowntimeMilliseconds
            self.deadlineSeconds = deadlineSeconds
        }

        enum CodingKeys: String, CodingKey {
            case action, measurement
            case bandwidthMegabytesPerSecond = "bandwidth_megabytes_per_second"
            case maxDowntimeMilliseconds = "max_downtime_ms"
            case deadlineSeconds = "deadline_seconds"
        }
    }

    /// The result of `dr_precheck_decide`.
    public struct Result: Codable, Equatable, Sendable {
        public var verdict: PrecheckVerdict
        public var forecast: Forecast
        /// One line for an operator: measured rate, bandwidth, forecast, and what would make it
        /// pass.
        public var reason: String

        public init(verdict: PrecheckVerdict, forecast: Forecast, reason: String) {
            self.verdict = verdict
            self.forecast = forecast
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
        let parameters = try ForecastParameters(
            memoryMiB: request.measurement.memoryMiB, dirtyRate: request.measurement.megabytesPerSecond,
            bandwidth: request.bandwidthMegabytesPerSecond, maxDowntimeMilliseconds: request.maxDowntimeMilliseconds,
            deadlineSeconds: request.deadlineSeconds, fields: fields)
        let forecast = Forecast(parameters)
        let verdict: PrecheckVerdict = switch (forecast.converges, request.action) {
        case (true, _), (false, .warn): .accept
        case (false, .throttle): .throttle
        case (false, .reject): .reject
        }
        return Result(
            verdict: verdict, forecast: forecast,
            reason: reason(request.measurement, parameters, forecast, action: request.action))
    }

    private static func reason(
        _ measurement: DirtyRateMeasurement, _ parameters: ForecastParameters, _ forecast: Forecast,
        action: PrecheckAction
    ) -> String {
        let situation = "guest \(measurement.domain) dirties \(ForecastText.rate(parameters.dirtyRate)) "
            + "(measured over \(measurement.periodSeconds) s, \(measurement.mode.rawValue)) "
            + "against \(ForecastText.rate(parameters.bandwidth)) of bandwidth: "
            + "a pre-copy migration of \(parameters.memoryMiB) MiB"
        guard !forecast.converges else {
            return situation + " converges in about \(ForecastText.seconds(forecast.totalSeconds)) "
                + "in \(forecast.rounds) round\(forecast.rounds == 1 ? "" : "s") "
                + "with \(ForecastText.milliseconds(forecast.downtimeMilliseconds)) downtime"
        }
        let failure = situation + " would not converge within \(ForecastText.seconds(parameters.deadlineSeconds)) "
            + "(max downtime \(ForecastText.milliseconds(parameters.maxDowntimeMilliseconds)))"
        guard let limit = forecast.limitMegabytesPerSecond else {
            return failure + " even if the guest stopped writing: copying its memory once takes "
                + "\(ForecastText.seconds(forecast.floorSeconds)); it needs more bandwidth "
                + "([libvirt] live_migration_bandwidth) or a longer [libvirt] live_migration_completion_timeout"
                + outcome(action, limit: nil)
        }
        return failure + "; it would converge with a dirty-rate limit of \(ForecastText.limit(limit)), "
            + "more bandwidth ([libvirt] live_migration_bandwidth), or a longer [libvirt] live_migration_downtime"
            + outcome(action, limit: limit)
    }

    /// What happens to the migration that does not converge, as the end of the reason.
    private static func outcome(_ action: PrecheckAction, limit: Double?) -> String {
        switch action {
        case .warn:
            "; migrating anyway (action warn): it may be aborted at the deadline"
        case .throttle:
            limit.map { "; migrating with the dirty rate limited to \(ForecastText.limit($0))" }
                ?? "; migrating anyway (action throttle): no dirty-rate limit is enough"
        case .reject:
            "; migration refused (action reject)"
        }
    }
}
