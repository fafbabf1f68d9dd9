/// The verdict of each qualification check, drawn from what it observed.
public enum QualificationVerdicts {
    /// Periods each counting canary must be read in.
    public static let countingPeriods = 5
    /// Live migrations with the ring that must all keep every write. The fault seen here is a
    /// race that spoiled about half the runs (2 of 3, 2 of 4): five runs miss it about once in 32.
    public static let ringMigrationRuns = 5
    /// Control migrations with the dirty bitmap that must all pass for the check to conclude.
    public static let controlMigrationRuns = 3

    /// Counting: passed when every canary was read in at least `countingPeriods` periods and
    /// every reading lay within `CountingReading.tolerance` of the canary's own report.
    public static func counting(_ readings: [CountingReading], ringSize: Int) -> QualificationCheck {
        let rates = Array(Set(readings.map(\.rateMiBPerSecond))).sorted()
        var evidence: [String] = []
        var problems: [String] = []
        for rate in rates {
            let mine = readings.filter { $0.rateMiBPerSecond == rate }
            let period = mine.first?.periodSeconds ?? 1
            let fills = Double(rate * 256 * period) / Double(max(1, ringSize))
            let accurate = mine.filter(\.isAccurate).count
            let line = "canary writing \(rate) MiB/s (fills a \(ringSize)-entry ring "
                + "\(ForecastText.fixed(fills, decimals: 1)) times a \(period) s period): "
                + mine.map(\.text).joined(separator: ", ")
            evidence.append(line)
            if accurate < mine.count {
                problems.append("\(mine.count - accurate) of \(mine.count) readings at \(rate) MiB/s off by more than "
                    + "\(Int(CountingReading.tolerance * 100)) % (" + Self.errorRange(mine.filter { !$0.isAccurate }) + ")")
            }
            if mine.count < countingPeriods {
                problems.append("only \(mine.count) of \(countingPeriods) periods read at \(rate) MiB/s")
            }
        }
        guard !rates.isEmpty else {
            return QualificationCheck(name: .counting, state: .unknown, summary: "no canary was read", evidence: [])
        }
        if problems.isEmpty {
            return QualificationCheck(
                name: .counting, state: .passed,
                summary: "\(readings.count) ring readings at \(rates.map { "\($0)" }.joined(separator: " and ")) MiB/s "
                    + "all within \(Int(CountingReading.tolerance * 100)) % of what the canaries wrote",
                evidence: evidence)
        }
        return QualificationCheck(
            name: .counting, state: .failed, summary: problems.joined(separator: "; "), evidence: evidence)
    }

    /// The relative errors of `readings` as a range ("+68 % to +75 %"), and how many had no
    /// reading or no truth.
    static func errorRange(_ readings: [CountingReading]) -> String {
        let percents = readings.compactMap(\.relativeError).map { Int(($0 * 100).rounded()) }
        let signed = { (value: Int) in "\(value >= 0 ? "+" : "")\(value) %" }
        var parts: [String] = []
        if let low = percents.min(), let high = percents.max() {
            parts.append(low == high ? signed(low) : "\(signed(low)) to \(signed(high))")
        }
        let unread = readings.count - percents.count
        if unread > 0 { parts.append("\(unread) without a reading or a report of the canary") }
        return parts.joined(separator: "; ")
    }

    /// Migration integrity: passed when every ring migration kept every write and every
    /// control migration with the dirty bitmap did too; unknown when a control failed (the
    /// check itself is broken) or too few runs concluded.
    public static func migrationIntegrity(ring: [MigrationIntegrityRun], bitmap: [MigrationIntegrityRun]) -> QualificationCheck {
        let evidence = (ring + bitmap).map(\.evidence)
        let failedControls = bitmap.filter { !$0.passed }
        if !failedControls.isEmpty || bitmap.count < controlMigrationRuns {
            return QualificationCheck(
                name: .migrationIntegrity, state: .unknown,
                summary: "the control migrations with the dirty bitmap did not all pass ("
                    + "\(bitmap.count - failedControls.count) of \(controlMigrationRuns) kept every write), so this "
                    + "check cannot tell "
                    + "whether the ring loses writes",
                evidence: evidence)
        }
        let lossy = ring.filter { $0.completed && ($0.stalePages ?? 0) > 0 }
        let broken = ring.filter { !$0.passed }
        if !broken.isEmpty {
            let lost = lossy.compactMap(\.stalePages)
            return QualificationCheck(
                name: .migrationIntegrity, state: .failed,
                summary: "\(broken.count) of \(ring.count) live migrations with the ring failed"
                    + (lost.isEmpty ? "" : ": \(lost.map(String.init).joined(separator: ", ")) stale pages on the destination")
                    + (broken.count > lossy.count ? " (" + broken.filter { !lossy.contains($0) }.map(\.evidence)
                        .joined(separator: "; ") + ")" : "")
                    + "; all \(bitmap.count) with the dirty bitmap kept every write",
                evidence: evidence)
        }
        guard ring.count >= ringMigrationRuns else {
            return QualificationCheck(
                name: .migrationIntegrity, state: .unknown,
                summary: "only \(ring.count) of \(ringMigrationRuns) migrations with the ring ran", evidence: evidence)
        }
        return QualificationCheck(
            name: .migrationIntegrity, state: .passed,
            summary: "\(ring.count) live migrations with the ring and \(bitmap.count) with the dirty bitmap kept "
                + "every write of the self-checking canary",
            evidence: evidence)
    }

    /// Liveness: passed when the canaries' vCPUs ran after every ring operation.
    /// - Parameter stops: one line per operation after which a canary stopped.
    public static func liveness(operations: Int, stops: [String], evidence: [String]) -> QualificationCheck {
        if !stops.isEmpty {
            return QualificationCheck(
                name: .liveness, state: .failed,
                summary: "the canary's vCPU stopped: " + stops.joined(separator: "; "), evidence: evidence)
        }
        guard operations > 0 else {
            return QualificationCheck(name: .liveness, state: .unknown, summary: "no ring operation ran", evidence: evidence)
        }
        return QualificationCheck(
            name: .liveness, state: .passed,
            summary: "the canaries' vCPUs kept running after each of \(operations) ring operations", evidence: evidence)
    }
}
