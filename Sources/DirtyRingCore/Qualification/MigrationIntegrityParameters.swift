/// How the migration integrity check drives each run: the canary's working set and write rate,
/// the link it migrates over, and the bounds on each phase.
///
/// The defaults give several pre-copy rounds and many ring-full exits: 64 MiB rewritten at
/// 30 MiB/s over a 40 MiB/s link (rho 0.75, about 5 rounds) fills a 4096-entry ring (16 MiB of
/// pages) in every round; a run takes 10-20 s.
public struct MigrationIntegrityParameters: Equatable, Sendable {
    /// The canary's working set (`mb=`).
    public var workingSetMiB: Int
    /// The canary's write rate (`rate=`) in the first run; later runs add `rateStepMiBPerSecond`
    /// times -1, +1, -1, ... so that a racy fault meets more than one timing.
    public var rateMiBPerSecond: Int
    public var rateStepMiBPerSecond: Int
    /// The migration's `max-bandwidth`.
    public var bandwidthMiBPerSecond: Int
    /// The migration's `downtime-limit` (Nova's default `live_migration_downtime`).
    public var downtimeLimitMilliseconds: Int
    /// Longest wait for the source canary's first progress lines.
    public var bootTimeoutSeconds: Double
    /// Longest migration; it is cancelled after that.
    public var migrationTimeoutSeconds: Double
    /// Extra time the destination canary runs beyond two passes over its working set.
    public var checkMarginSeconds: Double
    /// Testing the check itself: the canary skips its writes to this many pages once (`corrupt=`),
    /// so a correct check must report exactly that many stale pages. 0 in a real check.
    public var corruptPages: Int

    public init(
        workingSetMiB: Int = 64, rateMiBPerSecond: Int = 30, rateStepMiBPerSecond: Int = 2,
        bandwidthMiBPerSecond: Int = 40, downtimeLimitMilliseconds: Int = 500, bootTimeoutSeconds: Double = 30,
        migrationTimeoutSeconds: Double = 60, checkMarginSeconds: Double = 2, corruptPages: Int = 0
    ) {
        self.workingSetMiB = workingSetMiB
        self.rateMiBPerSecond = rateMiBPerSecond
        self.rateStepMiBPerSecond = rateStepMiBPerSecond
        self.bandwidthMiBPerSecond = bandwidthMiBPerSecond
        self.downtimeLimitMilliseconds = downtimeLimitMilliseconds
        self.bootTimeoutSeconds = bootTimeoutSeconds
        self.migrationTimeoutSeconds = migrationTimeoutSeconds
        self.checkMarginSeconds = checkMarginSeconds
        self.corruptPages = corruptPages
    }

    /// The canary's rate in run `index` (from 0): the base rate, then alternately below and
    /// above it, never below 1 MiB/s.
    public func rate(run index: Int) -> Int {
        guard index > 0 else { return rateMiBPerSecond }
        let step = (index + 1) / 2 * rateStepMiBPerSecond
        return max(1, index % 2 == 1 ? rateMiBPerSecond - step : rateMiBPerSecond + step)
    }

    /// Guest RAM: the canary's working set starts at 32 MiB physical; 32 MiB more for the rest.
    public var guestMemoryMiB: Int { workingSetMiB + 64 }

    /// How many of the canary's seconds the destination must report so that every page was
    /// checked at least twice at `rate`, plus the margin.
    public func checkSeconds(rate: Int) -> Int {
        let pass = Double(workingSetMiB) / Double(max(1, rate))
        return Int((2 * pass + checkMarginSeconds).rounded(.up))
    }

    /// Checks the values; a fault is `invalid_request`.
    public func validated() throws(DirtyRingError) -> MigrationIntegrityParameters {
        func require(_ ok: Bool, _ what: String) throws(DirtyRingError) {
            if !ok { throw DirtyRingError(kind: .invalidRequest, message: "migration integrity check: \(what)") }
        }
        try require((1...2048).contains(workingSetMiB), "working set \(workingSetMiB) MiB must be 1-2048")
        try require((1...10_000).contains(rateMiBPerSecond), "rate \(rateMiBPerSecond) MiB/s must be 1-10000")
        try require((0...1000).contains(rateStepMiBPerSecond), "rate step must be 0-1000 MiB/s")
        try require((1...100_000).contains(bandwidthMiBPerSecond), "bandwidth must be 1-100000 MiB/s")
        try require((1...600_000).contains(downtimeLimitMilliseconds), "downtime limit must be 1-600000 ms")
        try require(corruptPages >= 0 && corruptPages <= workingSetMiB * 256, "corrupt pages must be 0 to the working set's pages")
        for (value, name) in [(bootTimeoutSeconds, "boot"), (migrationTimeoutSeconds, "migration"),
                              (checkMarginSeconds, "check margin")] {
            try require(value.isFinite && value >= 0 && value <= 3600, "\(name) time must be 0-3600 s")
        }
        return self
    }
}
