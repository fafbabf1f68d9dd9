import DirtyRingCore
import HostKVM
import LibvirtClient

/// One measurement of several guests: starts every calculation, polls their stats together
/// until each has a fresh result or the deadline passes, then checks the vCPUs of the guests
/// measured through the dirty ring.
final class MeasureRun {
    /// How often the stats are read while waiting.
    static let pollSeconds = 0.15
    /// How long thread times are sampled before a dirty-ring calculation starts (baseline).
    static let baselineSeconds = 0.5
    /// How long vCPUs are watched after a dirty-ring result.
    static let windowSeconds = 1.0
    /// Where libvirt's QEMU driver keeps each domain's QEMU process id.
    static let pidDirectory = "/run/libvirt/qemu"

    let context: HostContext
    let seconds: Int
    let targets: [MeasureTarget]
    /// Why a ring operation failed liveness, when a stall was seen.
    private(set) var stallEvidence: String?

    init(context: HostContext, seconds: Int, targets: [MeasureTarget]) {
        self.context = context
        self.seconds = seconds
        self.targets = targets
    }

    private var timeout: Double { context.configuration.timeoutSeconds }

    /// The outcome of each target, keyed by its request index.
    func execute() -> [(Int, Result<DirtyRateMeasurement, DirtyRingError>)] {
        guard !targets.isEmpty else { return [] }
        var outcomes: [Int: Result<DirtyRateMeasurement, DirtyRingError>] = [:]

        // Stats before: the previous result (to tell a fresh one), a calc already running.
        let before = readStats(targets)
        var pending: [MeasureTarget] = []
        var previousStart: [Int: Int64] = [:]
        for target in targets {
            guard let fields = before[target.name] else {
                outcomes[target.index] = .failure(MeasureErrors.notRunning(target.name))
                continue
            }
            if fields.integer("dirtyrate.calc_status") == 1 {
                outcomes[target.index] = .failure(DirtyRingError(
                    kind: .busy,
                    message: "a dirty-rate calculation is already running on domain \(target.name); retry when it ends"))
                continue
            }
            previousStart[target.index] = fields.integer("dirtyrate.calc_start_time") ?? 0
            pending.append(target)
        }

        // Thread times of ring guests over a short baseline.
        var processes: [Int: Int32] = [:]
        var baselineStart: [Int: [Int: VCPUThreadTime]] = [:]
        var baselineEnd: [Int: [Int: VCPUThreadTime]] = [:]
        let ringTargets = pending.filter { $0.mode == .dirtyRing }
        for target in ringTargets {
            if let pid = VCPUThreadTimes.qemuProcess(pidFile: "\(Self.pidDirectory)/\(target.name).pid") {
                processes[target.index] = pid
                baselineStart[target.index] = VCPUThreadTimes.read(pid: pid)
            }
        }
        if !processes.isEmpty {
            UTCTime.sleep(Self.baselineSeconds)
            for (index, pid) in processes { baselineEnd[index] = VCPUThreadTimes.read(pid: pid) }
        }

        // Start every calculation.
        var started: [MeasureTarget] = []
        for target in pending {
            let seconds = self.seconds
            let outcome = Result { () throws(DirtyRingError) in
                try BoundedCall.run("starting the dirty-rate calculation of \(target.name)", seconds: timeout) {
                    () throws(DirtyRingError) in try Self.startCalc(target, seconds: seconds)
                }
            }
            switch outcome {
            case .success: started.append(target)
            case .failure(let error): outcomes[target.index] = .failure(error)
            }
        }

        // Poll all of them together.
        let start = UTCTime.monotonic()
        let deadline = start + Double(seconds) + timeout
        var waiting = started
        var atResult: [Int: (threads: [Int: VCPUThreadTime], fields: TypedParameters)] = [:]
        if !waiting.isEmpty { UTCTime.sleep(Double(seconds) - 0.05) }
        while !waiting.isEmpty {
            let stats = readStats(waiting)
            var still: [MeasureTarget] = []
            for target in waiting {
                guard let fields = stats[target.name] else {
                    if stats.isEmpty && UTCTime.monotonic() < deadline {
                        still.append(target)  // the read itself failed; try again
                    } else {
                        outcomes[target.index] = .failure(DirtyRingError(
                            kind: .noDomain, message: "domain \(target.name) stopped during its dirty-rate calculation"))
                    }
                    continue
                }
                let status = fields.integer("dirtyrate.calc_status")
                let startTime = fields.integer("dirtyrate.calc_start_time") ?? 0
                guard status == 2, startTime != previousStart[target.index] else {
                    still.append(target)
                    continue
                }
                outcomes[target.index] = .success(measurement(of: target, fields: fields))
                if let pid = processes[target.index] {
                    atResult[target.index] = (VCPUThreadTimes.read(pid: pid), fields)
                } else if target.mode == .dirtyRing {
                    atResult[target.index] = ([:], fields)
                }
            }
            waiting = still
            if waiting.isEmpty { break }
            if UTCTime.monotonic() >= deadline {
                for target in waiting {
                    outcomes[target.index] = .failure(MeasureErrors.timeout(target.name, seconds: Double(seconds) + timeout))
                }
                break
            }
            UTCTime.sleep(Self.pollSeconds)
        }

        // After a dirty-ring read: do the vCPUs still run their guests?
        let checked = ringTargets.filter { atResult[$0.index] != nil }
        if !checked.isEmpty {
            UTCTime.sleep(Self.windowSeconds)
            let after = readStats(checked)
            var evidences: [String] = []
            for target in checked {
                guard let result = atResult[target.index], let pid = processes[target.index],
                      let startTimes = baselineStart[target.index], let endTimes = baselineEnd[target.index]
                else { continue }
                let window = VCPUThreadTimes.read(pid: pid)
                let fieldsAfter = after[target.name] ?? TypedParameters()
                var stalls: [String] = []
                var stalledVCPUs: [Int] = []
                for vcpu in 0..<max(0, target.vcpus) {
                    guard let baseStart = startTimes[vcpu], let baseEnd = endTimes[vcpu],
                          let threadAtResult = result.threads[vcpu], let threadAfter = window[vcpu]
                    else { continue }
                    let observation = StallDetector.Observation(
                        vcpu: vcpu,
                        running: result.fields.integer("vcpu.\(vcpu).state") == 1
                            && (fieldsAfter.integer("vcpu.\(vcpu).state") ?? 1) == 1,
                        baselineStart: baseStart, baselineEnd: baseEnd,
                        atResult: threadAtResult, afterWindow: threadAfter,
                        libvirtTimeAtResult: UInt64(clamping: result.fields.integer("vcpu.\(vcpu).time") ?? 0),
                        libvirtTimeAfterWindow: UInt64(clamping: fieldsAfter.integer("vcpu.\(vcpu).time") ?? 0))
                    if let evidence = StallDetector().stall(observation, windowSeconds: Self.windowSeconds) {
                        stalls.append(evidence)
                        stalledVCPUs.append(vcpu)
                    }
                }
                guard !stalls.isEmpty else { continue }
                let evidence = "domain \(target.name): " + stalls.joined(separator: "; ")
                evidences.append(evidence)
                var message = "dirty-ring measurement stopped vCPUs of domain \(target.name): "
                    + stalls.joined(separator: "; ")
                if case .success(let reading) = outcomes[target.index] {
                    message += " (its reading was \(reading.megabytesPerSecond) MiB/s)"
                }
                message += "; dirty-ring measurement is now disabled on this host"
                outcomes[target.index] = .failure(DirtyRingError(kind: .stall, message: message, stalledVCPUs: stalledVCPUs))
            }
            if !evidences.isEmpty { stallEvidence = evidences.joined(separator: " | ") }
        }
        return outcomes.map { ($0.key, $0.value) }
    }

    private static func startCalc(_ target: MeasureTarget, seconds: Int) throws(DirtyRingError) {
        do {
            try target.domain.startDirtyRateCalc(seconds: seconds, mode: target.mode.calcMode)
        } catch {
            throw MeasureErrors.libvirt(error, domain: target.name, mode: target.mode)
        }
    }

    /// The stats of `targets` by domain name, in one bounded call; empty when the call fails.
    private func readStats(_ targets: [MeasureTarget]) -> [String: TypedParameters] {
        let connection = context.connection
        let domains = targets.map(\.domain)
        let stats = try? BoundedCall.run("reading domain stats", seconds: timeout) {
            () throws(DirtyRingError) -> [DomainStats] in
            try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in
                try connection.stats(of: domains, groups: [.dirtyRate, .vcpu, .state])
            }
        }
        var result: [String: TypedParameters] = [:]
        for entry in stats ?? [] where entry.fields.integer("state.state") != 5 {
            result[entry.name] = entry.fields
        }
        return result
    }

    private func measurement(of target: MeasureTarget, fields: TypedParameters) -> DirtyRateMeasurement {
        let perVCPU = target.mode == .dirtyRing
            ? (0..<max(0, target.vcpus)).map { fields.number("dirtyrate.vcpu.\($0).megabytes_per_second") ?? 0 }
            : []
        return DirtyRateMeasurement(
            domain: target.name, uuid: target.uuid, mode: target.mode,
            periodSeconds: Int(clamping: fields.integer("dirtyrate.calc_period") ?? Int64(seconds)),
            megabytesPerSecond: fields.number("dirtyrate.megabytes_per_second") ?? 0,
            vcpuMegabytesPerSecond: perVCPU, memoryMiB: target.memoryMiB, vcpus: target.vcpus,
            ringSize: target.ringSize, measuredAt: UTCTime.now())
    }
}

extension DirtyRateMode {
    /// The libvirt calculation mode.
    var calcMode: DirtyRateCalcMode {
        switch self {
        case .pageSampling: .pageSampling
        case .dirtyBitmap: .dirtyBitmap
        case .dirtyRing: .dirtyRing
        }
    }
}
