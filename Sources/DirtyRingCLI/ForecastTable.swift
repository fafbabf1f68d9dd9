import DirtyRingCore

/// Forecasts of several guests as a table for a person deciding which guests can be moved before
/// a maintenance: the cheapest to migrate first.
struct ForecastTable {
    let entries: [ForecastEntry]

    func render() -> String {
        let header = ["DOMAIN", "MEMORY", "DIRTY RATE", "FORECAST", "ROUNDS", "DOWNTIME", "VERDICT"]
        var rows: [[String]] = []
        var failures: [String] = []
        var notes: [String] = []
        for entry in ForecastEntry.sortedByMigrationCost(entries) {
            switch entry {
            case .forecast(let measurement, let forecast):
                rows.append(Self.row(measurement, forecast))
                if let caveat = measurement.mode.caveat { notes.append("\(measurement.domain): \(caveat)") }
            case .failed(let domain, let error):
                failures.append("\(domain)  error: \(error.message)")
            }
        }
        return (TextTable(rows: [header] + rows).lines() + failures + notes).joined(separator: "\n")
    }

    private static func row(_ measurement: DirtyRateMeasurement, _ forecast: Forecast) -> [String] {
        let verdict: String
        if forecast.converges {
            verdict = "ok"
        } else if let limit = forecast.limitMegabytesPerSecond {
            verdict = "needs limit \(ForecastText.limit(limit))"
        } else {
            verdict = "never"
        }
        return [
            measurement.domain,
            "\(measurement.memoryMiB) MiB",
            "\(ForecastText.rate(measurement.megabytesPerSecond)) (\(measurement.mode.rawValue)"
                + (measurement.mode.isEstimate ? ", estimate only)" : ")"),
            forecast.converges ? ForecastText.seconds(forecast.totalSeconds) : "-",
            forecast.converges ? "\(forecast.rounds)" : "-",
            forecast.converges ? ForecastText.milliseconds(forecast.downtimeMilliseconds) : "-",
            verdict,
        ]
    }
}
