import DirtyRingCore

/// Plans and readings of the convergence tests.
public enum ConvergenceFixtures {
    /// A plan's inputs: by default a ring guest on a host whose self-test passed, QEMU 7.2, a
    /// pre-flight reading of 100 MiB/s over 40.
    public static func inputs(
        _ strategy: ConvergeStrategy, ring: Int = 4096, qualification: RingQualification.State = .passed,
        qemu: Version? = Version(7, 2), nova: Bool = false, rate: Double? = 100, bandwidth: Double? = 40
    ) -> ConvergencePlan.Inputs {
        .init(strategy: strategy, ringSize: ring, ringQualification: qualification, qemuVersion: qemu, novaAutoConverge: nova,
              expectedDirtyRate: rate, expectedBandwidth: bandwidth)
    }

    /// A reading of a 1 GiB guest's migration.
    public static func reading(
        at seconds: Double, round: Int, remaining: Double, dirty: Double = 100, bandwidth: Double = 40, throttle: Int = 0
    ) -> MigrationProgress {
        MigrationProgress(
            elapsedSeconds: seconds, memoryTotalMiB: 1024, memoryProcessedMiB: 1024, memoryRemainingMiB: remaining,
            bandwidthMiB: bandwidth, dirtyRateMiB: dirty, iteration: round, autoConvergeThrottlePercent: throttle)
    }
}
