import ArgumentParser
import DirtyRingCore
import DirtyRingHost

/// `dirtyring qualify`: has this host proven that the dirty ring loses no write?
struct QualifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qualify",
        abstract: "Prove, or disprove, that the dirty ring counts and migrates every write on this host.",
        discussion: """
            Runs three checks and records the verdict, keyed to the kernel, KVM module, CPU, \
            libvirt and QEMU and the ring size: counting (canaries read through the ring within \
            10 % of what they wrote), migration integrity (live migrations of a self-checking \
            canary with the ring, and with the dirty bitmap as control, lose no write) and \
            liveness (the canaries keep running after every ring operation). Guests get the ring \
            only while the verdict for their ring size is 'passed'. Takes a few minutes. Exit \
            status: 0 passed, 1 failed, 3 unknown (a check could not conclude).
            """
    )

    @Option(help: "The canary kernel, readable by libvirt's QEMU.")
    var kernel: String = CanaryDomain.defaultKernelPath

    @Option(help: "Ring entries per vCPU to qualify: the size this host gives its guests.")
    var ringSize: Int = RingSize.default.entries

    @Flag(help: "Show the recorded verdict as it holds for this host now, without running a check.")
    var show = false

    @Flag(help: "Forget every recorded verdict (after fixing the host): the state becomes unknown.")
    var clear = false

    @Flag(help: "Print the verdict as JSON.")
    var json = false

    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard RingSize(entries: ringSize) != nil else {
            throw ValidationError("--ring-size \(ringSize) is invalid: \(RingSize.requirement)")
        }
        guard !(show && clear) else { throw ValidationError("--show and --clear exclude each other") }
    }

    func run() throws {
        let configuration = connection.configuration
        let size = ringSize
        let verdict = try CommandFailure.wrap { () throws(DirtyRingError) -> RingQualification in
            if clear {
                try QualificationStore(directory: configuration.stateDir).clear()
                return .unknown
            }
            let context = try HostContext.open(configuration)
            if show { return try context.probe(ringSize: size).dirtyRing.qualification }
            return try context.qualify(kernelPath: kernel, ringSize: size)
        }
        if json {
            try JSONOutput.print(verdict)
        } else {
            print(QualificationText(verdict: verdict).render())
        }
        switch verdict.state {
        case .passed: return
        case .failed: throw ExitCode(1)
        case .unknown: throw ExitCode(clear ? 0 : 3)
        }
    }
}

/// A verdict as a person reads it: the verdict, the versions, each check with its evidence.
struct QualificationText {
    let verdict: RingQualification

    func render() -> String {
        var lines = ["ring qualification: \(verdict.state.rawValue)" + (verdict.checkedAt.map { " at \($0)" } ?? "")
            + (verdict.seconds.map { " (\(ForecastText.seconds($0)))" } ?? "")]
        if let key = verdict.key {
            lines.append("  ring \(key.ringSize) entries; kernel \(key.kernelRelease), \(key.kvmModule), "
                + "\(key.cpuModel); libvirt \(key.libvirtVersion), QEMU \(key.qemuVersion)")
        }
        for change in verdict.stale { lines.append("  stale: \(change)") }
        for check in verdict.checks {
            lines.append("\(check.name.rawValue): \(check.state.rawValue.uppercased()): \(check.summary)")
            lines += check.evidence.map { "    \($0)" }
        }
        if verdict.checks.isEmpty, let evidence = verdict.evidence { lines.append(evidence) }
        return lines.joined(separator: "\n")
    }
}
