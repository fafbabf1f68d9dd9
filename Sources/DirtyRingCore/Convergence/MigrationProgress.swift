/// One reading of a running migration's job statistics, in MiB and seconds.
public struct MigrationProgress: Equatable, Sendable {
    /// Time since the migration started.
    public var elapsedSeconds: Double
    public var memoryTotalMiB: Double
    public var memoryProcessedMiB: Double
    public var memoryRemainingMiB: Double
    /// Transfer rate QEMU measured over its last period, in MiB/s; 0 when not known yet.
    public var bandwidthMiB: Double
    /// Pages dirtied per second over QEMU's last round, in MiB/s: the unique pages a round
    /// leaves to copy, not the guest's write rate.
    public var dirtyRateMiB: Double
    /// The pre-copy round; 1 while the first full copy runs.
    public var iteration: Int
    /// QEMU's auto-converge CPU throttle, percent; 0 when none.
    public var autoConvergeThrottlePercent: Int

    public init(
        elapsedSeconds: Double, memoryTotalMiB: Double, memoryProcessedMiB: Double, memoryRemainingMiB: Double,
        bandwidthMiB: Double, dirtyRateMiB: Double, iteration: Int, autoConvergeThrottlePercent: Int = 0
    ) {
        self.elapsedSeconds = elapsedSeconds
        self.memoryTotalMiB = memoryTotalMiB
        self.memoryProcessedMiB = memoryProcessedMiB
        self.memoryRemainingMiB = memoryRemainingMiB
        self.bandwidthMiB = bandwidthMiB
        self.dirtyRateMiB = dirtyRateMiB
        self.iteration = iteration
        self.autoConvergeThrottlePercent = autoConvergeThrottlePercent
    }

    private static let mebibyte = 1_048_576.0

    /// The progress in libvirt's job statistics (`virDomainGetJobStats` field names); nil while
    /// they carry no memory figures yet (the job is being set up) or a figure is not finite.
    public init?(jobFields fields: [String: Double]) {
        guard let total = fields["memory_total"], total > 0, let remaining = fields["memory_remaining"] else {
            return nil
        }
        let pageSize = fields["memory_page_size"] ?? 4096
        let values = [
            (fields["time_elapsed"] ?? 0) / 1000, total / Self.mebibyte,
            (fields["memory_processed"] ?? 0) / Self.mebibyte, remaining / Self.mebibyte,
            (fields["memory_bps"] ?? 0) / Self.mebibyte,
            (fields["memory_dirty_rate"] ?? 0) * pageSize / Self.mebibyte,
            fields["memory_iteration"] ?? 0, fields["auto_converge_throttle"] ?? 0,
        ]
        guard values.allSatisfy({ $0.isFinite && $0 >= 0 }), values[6] < 1e9, values[7] <= 100 else { return nil }
        self.init(
            elapsedSeconds: values[0], memoryTotalMiB: values[1], memoryProcessedMiB: values[2],
            memoryRemainingMiB: values[3], bandwidthMiB: values[4], dirtyRateMiB: values[5],
            iteration: Int(values[6]), autoConvergeThrottlePercent: Int(values[7]))
    }
}
