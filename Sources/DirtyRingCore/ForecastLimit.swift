/// The largest dirty-rate limit with which a migration converges within its deadline.
enum ForecastLimit {
    /// Limits are multiples of 1 / `stepsPerUnit` MiB/s.
    static let stepsPerUnit = 1000.0

    /// The largest limit below the dirty rate, a multiple of 1 / `stepsPerUnit`, with which the
    /// migration converges; nil when it converges without one, or when even a guest that dirties
    /// nothing would miss the deadline.
    ///
    /// Relies on convergence being monotone in the dirty rate: a lower rate never dirties more in
    /// any round, so it never takes more rounds or more time.
    static func largest(for parameters: ForecastParameters) -> Double? {
        func converges(_ rate: Double) -> Bool {
            ForecastSimulation(parameters.limited(to: rate)).converges
        }
        guard !converges(parameters.dirtyRate), converges(0) else { return nil }
        var low = 0.0
        var high = parameters.dirtyRate
        while (high - low) * stepsPerUnit > 0.25 {
            let middle = low + (high - low) / 2
            if converges(middle) { low = middle } else { high = middle }
        }
        let nearest = (low * stepsPerUnit).rounded() / stepsPerUnit
        if nearest < parameters.dirtyRate, converges(nearest) { return nearest }
        return (low * stepsPerUnit).rounded(.down) / stepsPerUnit
    }
}
