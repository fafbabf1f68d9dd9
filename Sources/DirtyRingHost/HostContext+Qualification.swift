import DirtyRingCore
#if canImport(Glibc)
import Glibc
#endif
import LibvirtClient

extension HostContext {
    /// How long a counting canary may take to boot and start dirtying memory.
    static let canaryBootSeconds = 120.0
    /// The measurement period of the counting check.
    static let countingPeriodSeconds = 2
    /// The counting canaries' paced rates for a ring of `ringSize` entries, MiB/s: a slow one
    /// (a 4096-entry ring fills about once a period) and one that fills the ring at least four
    /// times a period (100 MiB/s, 25,600 pages a second, for rings up to 8192 entries; more for
    /// larger rings: 512 MiB/s for 65536).
    static func countingRates(ringSize: Int) -> [Int] {
        let fillsFourTimes = (4 * ringSize + 256 * countingPeriodSeconds - 1) / (256 * countingPeriodSeconds)
        return [10, max(100, (fillsFourTimes + 9) / 10 * 10)]
    }

    /// Qualifies a dirty ring of `ringSize` entries on this host, records the verdict in
    /// state_dir (keyed to the kernel, KVM module, CPU, libvirt and QEMU) and returns it.
    ///
    /// Three checks, all required: counting (two canaries, each read through the ring in
    /// `QualificationVerdicts.countingPeriods` periods, every reading within 10 % of what the
    /// canary reports it wrote), migration integrity (live migrations of a self-checking canary
    /// with the ring, and with the dirty bitmap as control, lose no write) and liveness (the
    /// canaries' vCPUs run after every ring operation). Every check runs, so the evidence is
    /// whole even when the first one fails.
    ///
    /// Throws, recording nothing, when the qualification cannot run at all: the canary kernel
    /// is missing, or the host cannot run the ring of that size.
    public func qualify(kernelPath: String, ringSize: Int) throws(DirtyRingError) -> RingQualification {
        guard let size = RingSize(entries: ringSize) else {
            throw DirtyRingError(kind: .invalidRequest, message: "ring_size = \(ringSize) is invalid: \(RingSize.requirement)")
        }
        guard access(kernelPath, R_OK) == 0 else {
            throw DirtyRingError(
                kind: .invalidRequest,
                message: "the canary kernel \(kernelPath) is not readable (scripts/guest kernel installs it)")
        }
        let started = UTCTime.monotonic()
        removeQualificationLeftovers()
        let host = try probe(ringSize: size.entries)
        guard let maximum = host.dirtyRing.maximumRing, size <= maximum else {
            throw DirtyRingError(
                kind: .unsupported,
                message: "this host cannot run a dirty ring of \(size) entries: "
                    + (host.dirtyRing.usable ? "its kernel maximum is \(host.dirtyRing.maxSize) entries"
                        : host.dirtyRing.reasons.joined(separator: "; ")))
        }
        let counting = try countCanaries(kernelPath: kernelPath, ringSize: size.entries)
        let ringRuns = try checkMigrationIntegrity(
            kernelPath: kernelPath, ringSize: size.entries, runs: QualificationVerdicts.ringMigrationRuns)
        let bitmapRuns = try checkMigrationIntegrity(
            kernelPath: kernelPath, ringSize: nil, runs: QualificationVerdicts.controlMigrationRuns)
        let migrated = ringRuns.filter(\.completed)
        let checks = [
            QualificationVerdicts.counting(counting.readings, ringSize: size.entries),
            QualificationVerdicts.migrationIntegrity(ring: ringRuns, bitmap: bitmapRuns),
            QualificationVerdicts.liveness(
                operations: counting.operations + migrated.count,
                stops: counting.stops
                    + migrated.filter { !$0.destinationRunning }.map { "after a live migration with the ring (\($0.evidence))" },
                evidence: counting.progress + migrated.map {
                    "live migration with the ring: the canary " + ($0.destinationRunning ? "ran on" : "stopped on")
                        + " the destination"
                }),
        ]
        let verdict = RingQualification(
            key: host.qualificationKey(ringSize: size.entries), checkedAt: UTCTime.now(),
            seconds: ((UTCTime.monotonic() - started) * 10).rounded() / 10, checks: checks)
        try qualificationStore.save(verdict)
        return verdict
    }

    /// What the counting canaries showed: their readings, and for liveness every ring
    /// operation, each stop and each canary's progress.
    struct CountingOutcome {
        var readings: [CountingReading] = []
        var operations = 0
        var stops: [String] = []
        var progress: [String] = []
    }

    /// Boots one canary per counting rate and reads them all through the ring together, period
    /// after period, each reading beside what each canary reported for the same seconds.
    func countCanaries(kernelPath: String, ringSize: Int) throws(DirtyRingError) -> CountingOutcome {
        let period = Self.countingPeriodSeconds
        let stamp = "\(getpid())-\(Int(UTCTime.monotonic() * 1000) % 1_000_000)"
        let canaries = Self.countingRates(ringSize: ringSize).map { rate in
            let name = "\(QualificationLeftovers.canaryPrefix)\(rate)-\(stamp)"
            return CanaryDomain(
                name: name, kernelPath: kernelPath, serialPath: "\(configuration.stateDir)/\(name)-serial.log",
                ringSize: ringSize, workingSetMiB: max(16, rate * period + rate / 2), rateMiBPerSecond: rate)
        }
        try qualificationStore.createDirectory()
        let connection = self.connection
        let timeout = configuration.timeoutSeconds
        var started: [Domain] = []
        defer {
            for domain in started {
                _ = try? BoundedCall.run("destroying a qualification canary", seconds: timeout) {
                    () throws(DirtyRingError) in
                    try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in try domain.destroy() }
                }
            }
            for canary in canaries { unlink(canary.serialPath) }
        }
        for canary in canaries {
            let xml = canary.xml
            started.append(try BoundedCall.run("starting the qualification canary \(canary.name)", seconds: max(timeout, 60)) {
                () throws(DirtyRingError) -> Domain in
                try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in try connection.createDomain(xml: xml) }
            })
        }
        // Running at their rate: two progress lines each.
        let bootDeadline = UTCTime.monotonic() + Self.canaryBootSeconds
        for canary in canaries {
            while (GuestSerial.latest(path: canary.serialPath)?.second ?? 0) < 2 {
                guard UTCTime.monotonic() < bootDeadline else {
                    throw DirtyRingError(
                        kind: .timeout,
                        message: "the qualification canary \(canary.name) did not start within "
                            + "\(Int(Self.canaryBootSeconds)) s (serial log \(canary.serialPath))")
                }
                UTCTime.sleep(0.5)
            }
        }

        var outcome = CountingOutcome()
        let first = canaries.map { GuestSerial.latest(path: $0.serialPath)?.second ?? 0 }
        var running = canaries
        for _ in 0..<QualificationVerdicts.countingPeriods where !running.isEmpty {
            let before = running.map { GuestSerial.latest(path: $0.serialPath)?.second ?? 0 }
            let results = try measure(domains: running.map(\.name), seconds: period, mode: .dirtyRing, qualifying: true)
            outcome.operations += 1
            var stillRunning: [CanaryDomain] = []
            for (index, canary) in running.enumerated() {
                let previous = index < before.count ? before[index] : 0
                let result = index < results.count
                    ? results[index] : .failure(DirtyRingError(kind: .internal, message: "no result"))
                let next = Self.nextProgress(path: canary.serialPath, after: previous)
                let reports = GuestSerial.progress(path: canary.serialPath)
                    .filter { $0.second > previous && $0.second <= (next ?? previous) }
                let truth = reports.isEmpty
                    ? nil : reports.map(\.megabytesPerSecond).reduce(0, +) / Double(reports.count)
                var stalled = next == nil
                switch result {
                case .success(let reading):
                    outcome.readings.append(CountingReading(
                        rateMiBPerSecond: canary.rateMiBPerSecond, periodSeconds: period,
                        readMiBPerSecond: reading.megabytesPerSecond, truthMiBPerSecond: truth))
                case .failure(let error):
                    stalled = stalled || error.kind == .stall
                    outcome.readings.append(CountingReading(
                        rateMiBPerSecond: canary.rateMiBPerSecond, periodSeconds: period,
                        readMiBPerSecond: nil, truthMiBPerSecond: truth, error: error.message))
                }
                if stalled {
                    outcome.stops.append(
                        "the \(canary.rateMiBPerSecond) MiB/s canary stopped after ring reading \(outcome.operations)")
                } else {
                    stillRunning.append(canary)
                }
            }
            running = stillRunning
        }
        for (index, canary) in canaries.enumerated() {
            let last = GuestSerial.latest(path: canary.serialPath)?.second ?? 0
            outcome.progress.append(
                "the \(canary.rateMiBPerSecond) MiB/s canary reported its seconds \(first[index]) to \(last)")
        }
        return outcome
    }

    /// Waits up to three seconds for a progress line after second `previous`; its second, or nil
    /// when the canary reported none (its vCPU does not run the guest).
    static func nextProgress(path: String, after previous: Int) -> Int? {
        let deadline = UTCTime.monotonic() + 3
        while true {
            if let latest = GuestSerial.latest(path: path)?.second, latest > previous { return latest }
            guard UTCTime.monotonic() < deadline else { return nil }
            UTCTime.sleep(0.25)
        }
    }
}
