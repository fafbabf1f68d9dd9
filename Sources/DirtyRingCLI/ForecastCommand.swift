import ArgumentParser
import DirtyRingCore
import DirtyRingHost
import FoundationEssentials

/// `dirtyring forecast`: which guests on this host can be live-migrated, cheapest first.
struct ForecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Measure guests and forecast their live migrations, cheapest first.",
        discussion: """
            Measures every named guest (or every running guest with --all) in one period, then \
            forecasts a pre-copy live migration of each against the bandwidth, downtime and \
            deadline Nova would use ([libvirt] live_migration_bandwidth, live_migration_downtime, \
            live_migration_completion_timeout). VERDICT is ok, the dirty-rate limit with which it \
            would converge, or never.
            """
    )

    @Argument(help: "Domain names or UUIDs.")
    var domains: [String] = []

    @Flag(help: "Forecast every running guest.")
    var all = false

    @Option(help: "Migration bandwidth in MiB/s ([libvirt] live_migration_bandwidth; 0: unlimited).")
    var bandwidth: Double = NovaMigrationLimits.novaDefaults.bandwidth

    @Option(help: "Bandwidth in MiB/s assumed when --bandwidth is 0 (unlimited).")
    var assumedBandwidth: Double = 1250

    @Option(help: "Maximum downtime in ms ([libvirt] live_migration_downtime).")
    var downtime: Double = NovaMigrationLimits.novaDefaults.maxDowntimeMilliseconds

    @Option(help: "Seconds per GiB before Nova aborts ([libvirt] live_migration_completion_timeout; 0: none).")
    var completionTimeout: Double = NovaMigrationLimits.novaDefaults.completionTimeoutPerGiB

    @Option(help: "Deadline in seconds when --completion-timeout is 0.")
    var deadline: Double = 3600

    @Option(help: "Measurement period in seconds (1-60).")
    var seconds: Int = 1


    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print the forecasts as JSON for scripts.")
    var json = false

    func validate() throws {
        guard all != !domains.isEmpty else {
            throw ValidationError("name the domains to forecast, or use --all (not both)")
        }
    }

    func run() throws {
        let configuration = connection.configuration
        let limits = NovaMigrationLimits(
            bandwidth: bandwidth, maxDowntimeMilliseconds: downtime, completionTimeoutPerGiB: completionTimeout)
        let entries = try CommandFailure.wrap { () throws(DirtyRingError) -> [ForecastEntry] in
            let context = try HostContext.open(configuration)
            let names = all ? try context.runningDomainNames() : domains
            guard !names.isEmpty else { return [] }
            let results = try context.measure(domains: names, seconds: seconds, mode: .auto)
            return zip(names, results).map { name, result in entry(name, result, limits) }
        }
        if json {
            let sorted = ForecastEntry.sortedByMigrationCost(entries).map(JSONEntry.init)
            try JSONOutput.print(sorted)
        } else if entries.isEmpty {
            print("no running guests")
        } else {
            print(ForecastTable(entries: entries).render())
        }
    }

    private func entry(
        _ name: String, _ result: Result<DirtyRateMeasurement, DirtyRingError>, _ limits: NovaMigrationLimits
    ) -> ForecastEntry {
        do {
            let measurement = try result.get()
            let bounds = limits.bounds(
                memoryMiB: measurement.memoryMiB, assumedBandwidth: assumedBandwidth, noTimeoutDeadline: deadline)
            let parameters = try ForecastParameters(
                memoryMiB: measurement.memoryMiB, dirtyRate: measurement.megabytesPerSecond,
                bandwidth: bounds.bandwidth, maxDowntimeMilliseconds: bounds.maxDowntimeMilliseconds,
                deadlineSeconds: bounds.deadlineSeconds)
            return .forecast(measurement, Forecast(parameters))
        } catch {
            return .failed(domain: name, error)
        }
    }

    /// One guest in `--json` output: `{"domain", "measurement", "forecast"}` or `{"domain", "error"}`.
    struct JSONEntry: Encodable {
        var domain: String
        var measurement: DirtyRateMeasurement?
        var forecast: Forecast?
        var error: DirtyRingError?

        init(_ entry: ForecastEntry) {
            domain = entry.domain
            switch entry {
            case .forecast(let measurement, let forecast):
                self.measurement = measurement
                self.forecast = forecast
            case .failed(_, let error):
                self.error = error
            }
        }
    }
}
