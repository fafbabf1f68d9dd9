import DirtyRingCore
#if canImport(Glibc)
import Glibc
#endif
import LibvirtClient

extension HostContext {
    /// How long the canary may take to boot and start dirtying memory.
    static let canaryBootSeconds = 120.0
    /// Ring measurements of the canary: the fault seen here is a race (the ring overflows
    /// before KVM stops the vCPU), so a host passes only when the canary survives every round.
    static let selftestRounds = 5

    /// Boots a canary guest with the ring, measures it through the ring (up to
    /// `selftestRounds` times, stopping at the first stall), checks after each that its vCPU
    /// still runs the guest and that the reading is possible for an exact counter (no more than
    /// its working set per period), records the verdict in state_dir and destroys the canary.
    ///
    /// `ringSize` should be the size this host gives its guests: on the nested KVM this was
    /// written on, a 4096-entry ring livelocks its vCPU after one measurement while a
    /// 65536-entry ring survives several.
    ///
    /// Returns the recorded verdict. Errors that prevent the test (no kernel, the canary does not
    /// boot) are thrown and leave the recorded state as it was.
    public func runSelftest(kernelPath: String, ringSize: Int = 4096) throws(DirtyRingError) -> RingSelftest {
        guard access(kernelPath, R_OK) == 0 else {
            throw DirtyRingError(kind: .invalidRequest, message: "the canary kernel \(kernelPath) is not readable")
        }
        let store = selftestStore
        try store.createDirectory()
        let name = "dirtyring-canary-\(getpid())-\(Int(UTCTime.monotonic() * 1000) % 1_000_000)"
        let serialPath = "\(configuration.stateDir)/\(name)-serial.log"
        let canary = CanaryDomain(name: name, kernelPath: kernelPath, serialPath: serialPath, ringSize: ringSize)
        let connection = self.connection
        let xml = canary.xml
        let domain = try BoundedCall.run("starting the selftest canary \(name)", seconds: max(configuration.timeoutSeconds, 60)) {
            () throws(DirtyRingError) -> Domain in
            try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in try connection.createDomain(xml: xml) }
        }
        defer {
            _ = try? BoundedCall.run("destroying the selftest canary \(name)", seconds: configuration.timeoutSeconds) {
                () throws(DirtyRingError) in
                try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in try domain.destroy() }
            }
            unlink(serialPath)
        }

        // Wait until the guest is dirtying memory (two progress lines).
        let bootDeadline = UTCTime.monotonic() + Self.canaryBootSeconds
        while (GuestSerial.latest(path: serialPath)?.second ?? 0) < 2 {
            guard UTCTime.monotonic() < bootDeadline else {
                throw DirtyRingError(
                    kind: .timeout,
                    message: "the selftest canary \(name) did not start within \(Int(Self.canaryBootSeconds)) s "
                        + "(serial log \(serialPath))")
            }
            UTCTime.sleep(0.5)
        }

        var readings: [Double] = []
        for _ in 0..<Self.selftestRounds {
            let results = try measure(domains: [name], seconds: 1, mode: .dirtyRing, ignoringFailedSelftest: true)
            switch results.first {
            case .success(let reading):
                readings.append(reading.megabytesPerSecond)
                if let overcount = RingReadingBound(workingSetMiB: canary.workingSetMiB, periodSeconds: reading.periodSeconds)
                    .violation(by: reading.megabytesPerSecond) {
                    let verdict = RingSelftest(
                        state: .failed, checkedAt: UTCTime.now(), evidence: "canary \(name): \(overcount)")
                    try store.save(verdict)
                    return verdict
                }
            case .failure(let error) where error.kind == .stall:
                // measure() has recorded the failure; return what it recorded.
                let recorded = store.load()
                return recorded.state == .failed
                    ? recorded : RingSelftest(state: .failed, checkedAt: UTCTime.now(), evidence: error.message)
            case .failure(let error):
                throw error
            case nil:
                throw DirtyRingError(kind: .internal, message: "the selftest measurement returned nothing")
            }
        }
        let progress = GuestSerial.latest(path: serialPath)
        let verdict = RingSelftest(
            state: .passed, checkedAt: UTCTime.now(),
            evidence: "canary \(name) (ring \(canary.ringSize), rewriting \(canary.workingSetMiB) MiB "
                + (canary.rateMiBPerSecond == 0 ? "as fast as it can" : "at \(canary.rateMiBPerSecond) MiB/s") + ") read \(readings.map { String($0) }.joined(separator: ", ")) MiB/s "
                + "through the ring in \(readings.count) rounds and its vCPU kept running the guest"
                + (progress.map { " (guest second \($0.second))" } ?? ""))
        try store.save(verdict)
        return verdict
    }

    /// Forgets the recorded verdict (after an operator fixed the host): the state becomes unknown.
    public func clearSelftest() throws(DirtyRingError) {
        try selftestStore.clear()
    }
}
