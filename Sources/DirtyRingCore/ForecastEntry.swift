/// One guest in a list of forecasts: its measurement and forecast, or why it has none.
public enum ForecastEntry: Equatable, Sendable {
    case forecast(DirtyRateMeasurement, Forecast)
    case failed(domain: String, DirtyRingError)

    /// The guest's name.
    public var domain: String {
        switch self {
        case .forecast(let measurement, _): measurement.domain
        case .failed(let domain, _): domain
        }
    }

    /// The entries cheapest to migrate first: converging ones by forecast time; then those that
    /// converge with a limit, by the share of the dirty rate the limit removes; then those that
    /// never converge, by the time to copy their memory once; then failures. Ties by domain.
    public static func sortedByMigrationCost(_ entries: [ForecastEntry]) -> [ForecastEntry] {
        entries.sorted { left, right in
            let (leftCost, rightCost) = (left.cost, right.cost)
            if leftCost != rightCost { return leftCost < rightCost }
            return left.domain < right.domain
        }
    }

    /// Rank by tier (0 converges, 1 needs a limit, 2 never, 3 failed), then by distance within it.
    private var cost: Cost {
        switch self {
        case .forecast(let measurement, let forecast):
            if forecast.converges { return Cost(tier: 0, distance: forecast.totalSeconds) }
            guard let limit = forecast.limitMegabytesPerSecond else {
                return Cost(tier: 2, distance: forecast.floorSeconds)
            }
            let rate = measurement.megabytesPerSecond
            return Cost(tier: 1, distance: rate > 0 ? (rate - limit) / rate : 0)
        case .failed:
            return Cost(tier: 3, distance: 0)
        }
    }

    private struct Cost: Comparable {
        var tier: Int
        var distance: Double

        static func < (left: Cost, right: Cost) -> Bool {
            (left.tier, left.distance) < (right.tier, right.distance)
        }
    }
}
