import DirtyRingCore
#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import LibvirtClient
import QEMUProcess

extension HostContext {
    /// The QEMU that libvirt runs for x86_64 KVM guests on this host, from its capabilities;
    /// `QEMUEmulator.fallbackPath` when libvirt does not say.
    public func qemuEmulatorPath() -> String {
        let connection = self.connection
        let xml = try? BoundedCall.run("asking libvirt for its capabilities", seconds: configuration.timeoutSeconds) {
            () throws(DirtyRingError) -> String in
            try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in try connection.capabilities() }
        }
        return xml.flatMap { QEMUEmulator.path(capabilitiesXML: $0) } ?? QEMUEmulator.fallbackPath
    }

    /// Live-migrates the self-checking canary (`kernelPath`, the dirtyring test guest) `runs` times
    /// between two QEMU processes on this host, with a dirty ring of `ringSize` entries (nil: the
    /// dirty bitmap), and reports what each migration did and how many stale pages the canary
    /// found on the destination.
    ///
    /// Needs only what a compute host has: QEMU (`qemuBinary`, else libvirt's emulator, else
    /// /usr/bin/qemu-system-x86_64), /dev/kvm and the context's `state_dir` (a subdirectory per
    /// run, removed afterwards). A run that fails (QEMU does not start, the migration does not
    /// complete in time, the canary stops) says why in its `error`; this throws only for a
    /// request that cannot be run at all (invalid parameters, no kernel, no state directory).
    /// Each QEMU process is stopped and reaped before this returns.
    public func checkMigrationIntegrity(
        kernelPath: String, ringSize: Int?, runs: Int = 3,
        parameters: MigrationIntegrityParameters = MigrationIntegrityParameters(), qemuBinary: String? = nil
    ) throws(DirtyRingError) -> [MigrationIntegrityRun] {
        let parameters = try parameters.validated()
        guard (1...20).contains(runs) else {
            throw DirtyRingError(kind: .invalidRequest, message: "migration integrity check: runs = \(runs) must be 1-20")
        }
        if let ringSize, RingSize(entries: ringSize) == nil {
            throw DirtyRingError(
                kind: .invalidRequest, message: "migration integrity check: ring size \(ringSize) \(RingSize.requirement)")
        }
        guard FileManager.default.isReadableFile(atPath: kernelPath) else {
            throw DirtyRingError(kind: .invalidRequest, message: "canary kernel \(kernelPath) is not readable")
        }
        let stateDir = configuration.stateDir
        do {
            try FileManager.default.createDirectory(
                atPath: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw DirtyRingError(kind: .invalidConfig, message: "cannot create state_dir \(stateDir): \(error)",
                                 option: "state_dir", value: stateDir)
        }
        let binary = qemuBinary ?? qemuEmulatorPath()
        var results: [MigrationIntegrityRun] = []
        for index in 0..<runs {
            let run = MigrationIntegrityRunner(
                binary: binary, kernelPath: kernelPath, ringSize: ringSize, rate: parameters.rate(run: index),
                parameters: parameters, stateDir: stateDir, timeoutSeconds: configuration.timeoutSeconds)
            results.append(run.run())
        }
        return results
    }
}

extension QEMUEmulator {
    /// Where Debian and most distributions install QEMU for x86_64.
    public static let fallbackPath = "/usr/bin/qemu-system-x86_64"
}

/// One migration of the canary: two QEMU processes, the source booting it, the destination
/// waiting with `-incoming`.
struct MigrationIntegrityRunner {
    let binary: String
    let kernelPath: String
    let ringSize: Int?
    let rate: Int
    let parameters: MigrationIntegrityParameters
    let stateDir: String
    let timeoutSeconds: Double

    /// Longest silence of the canary on the destination before it counts as stopped.
    static let silenceSeconds = 5.0

    func run() -> MigrationIntegrityRun {
        var result = MigrationIntegrityRun(
            ringSize: ringSize, workingSetMiB: parameters.workingSetMiB, rateMiBPerSecond: rate,
            bandwidthMiBPerSecond: parameters.bandwidthMiBPerSecond)
        let directory = stateDir + "/" + QualificationLeftovers.migrationDirectoryPrefix
            + "\(getpid())-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            result.error = "cannot create \(directory): \(error)"
            return result
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do throws(DirtyRingError) {
            try migrate(in: directory, into: &result)
        } catch {
            result.error = error.message
        }
        return result
    }

    func machineArguments(directory: String, role: String) -> [String] {
        var accel = "kvm"
        if let ringSize { accel += ",dirty-ring-size=\(ringSize)" }
        var canary = "mb=\(parameters.workingSetMiB) rate=\(rate) check=1"
        if parameters.corruptPages > 0 { canary += " corrupt=\(parameters.corruptPages)" }
        return [
            "-name", "\(QualificationLeftovers.migrationProcessName)-\(role)",
            "-pidfile", "\(directory)/\(role).pid",
            "-machine", "pc", "-accel", accel, "-m", String(parameters.guestMemoryMiB), "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none",
            "-serial", "file:\(directory)/\(role).serial",
            "-qmp", "unix:\(directory)/\(role).qmp,server=on,wait=off",
            "-kernel", kernelPath, "-append", canary,
        ]
    }

    func serial(_ directory: String, _ role: String) -> CanarySerialReport {
        CanarySerialReport(text: QEMUFiles.tail(path: "\(directory)/\(role).serial"))
    }

    /// Why a QEMU process is not usable: its exit and its last words.
    func failure(_ process: QEMUProcess, _ role: String, _ what: String) -> DirtyRingError {
        let output = process.output(limit: 600).split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
        let state = process.isRunning ? "" : " (QEMU exited)"
        return DirtyRingError(kind: .internal, message: "\(role): \(what)\(state)\(output.isEmpty ? "" : ": " + output)")
    }

    func migrate(in directory: String, into result: inout MigrationIntegrityRun) throws(DirtyRingError) {
        let migrationSocket = "\(directory)/m.sock"
        let destination = try QEMUProcess.spawn(
            binary: binary,
            arguments: machineArguments(directory: directory, role: "destination") + ["-incoming", "unix:\(migrationSocket)"],
            outputPath: "\(directory)/destination.log")
        defer { destination.stop() }
        let source = try QEMUProcess.spawn(
            binary: binary, arguments: machineArguments(directory: directory, role: "source"),
            outputPath: "\(directory)/source.log")
        defer { source.stop() }

        let sourceQMP: QMPClient
        let destinationQMP: QMPClient
        do {
            sourceQMP = try QMPClient.connect(
                path: "\(directory)/source.qmp", connectSeconds: parameters.bootTimeoutSeconds,
                timeoutSeconds: timeoutSeconds, keepTrying: { source.isRunning })
        } catch {
            throw failure(source, "source", error.message)
        }
        do {
            destinationQMP = try QMPClient.connect(
                path: "\(directory)/destination.qmp", connectSeconds: parameters.bootTimeoutSeconds,
                timeoutSeconds: timeoutSeconds, keepTrying: { destination.isRunning })
        } catch {
            throw failure(destination, "destination", error.message)
        }
        if ringSize != nil {
            // QEMU falls back to the bitmap with only a warning when KVM refuses the ring.
            for (process, role) in [(source, "source"), (destination, "destination")] {
                let output = process.output()
                if let line = output.split(whereSeparator: \.isNewline).first(where: { $0.lowercased().contains("dirty ring") }) {
                    throw DirtyRingError(kind: .unsupported, message: "\(role) QEMU did not use the dirty ring: \(line)")
                }
            }
        }

        // The canary runs and checks on the source.
        let bootDeadline = Monotonic.now + parameters.bootTimeoutSeconds
        while serial(directory, "source").progressLines < 1 {
            guard source.isRunning else { throw failure(source, "source", "the canary did not start") }
            guard Monotonic.now < bootDeadline else {
                let report = serial(directory, "source")
                throw DirtyRingError(
                    kind: .timeout,
                    message: "source: the canary \(report.up ? "started but printed no progress" : "did not start") within \(secondsText(parameters.bootTimeoutSeconds)) s")
            }
            Monotonic.sleep(0.1)
        }

        let mebibyte = 1_048_576
        try sourceQMP.execute("migrate-set-parameters", arguments: .object([
            ("max-bandwidth", .integer(parameters.bandwidthMiBPerSecond * mebibyte)),
            ("downtime-limit", .integer(parameters.downtimeLimitMilliseconds)),
        ]))
        try sourceQMP.execute("migrate", arguments: .object([("uri", .string("unix:\(migrationSocket)"))]))

        let migrationDeadline = Monotonic.now + parameters.migrationTimeoutSeconds
        var status: QEMUMigrationStatus?
        while true {
            Monotonic.sleep(0.2)
            guard let reading = QEMUMigrationStatus(try sourceQMP.execute("query-migrate")) else {
                throw DirtyRingError(kind: .internal, message: "source: query-migrate returned no object")
            }
            status = reading
            if reading.isFinal { break }
            guard destination.isRunning else { throw failure(destination, "destination", "QEMU exited during the migration") }
            if Monotonic.now >= migrationDeadline {
                _ = try? sourceQMP.execute("migrate_cancel")
                let remaining = reading.remainingBytes.map { ", \(Double($0) / Double(mebibyte)) MiB remaining" } ?? ""
                record(reading, into: &result)
                throw DirtyRingError(
                    kind: .timeout,
                    message: "the migration did not complete within \(secondsText(parameters.migrationTimeoutSeconds)) s (status \(reading.status), \(reading.dirtySyncCount ?? 0) iterations\(remaining)); cancelled")
            }
        }
        guard let status else { return }
        record(status, into: &result)
        result.completed = status.status == "completed"
        guard result.completed else {
            throw DirtyRingError(
                kind: .internal, message: "the migration ended \(status.status)\(status.errorDescription.map { ": \($0)" } ?? "")")
        }

        // The canary goes on on the destination: watch it check every page twice.
        let destinationStatus = try destinationQMP.execute("query-status")
        let running = destinationStatus["status"]?.stringValue ?? "unknown"
        try watchDestination(directory: directory, process: destination, into: &result)
        if !result.destinationRunning && running != "running" {
            result.error = "destination: the guest is \(running) after the migration"
        }
    }

    func record(_ status: QEMUMigrationStatus, into result: inout MigrationIntegrityRun) {
        result.seconds = status.totalMilliseconds.map { Double($0) / 1000 }
        result.iterations = status.dirtySyncCount
        result.downtimeMilliseconds = status.downtimeMilliseconds
        result.transferredMiB = status.transferredBytes.map { (Double($0) / 1_048_576 * 10).rounded() / 10 }
    }

    /// Follows the destination's serial log until the canary reported enough seconds for two
    /// passes over its working set, or fell silent.
    func watchDestination(
        directory: String, process: QEMUProcess, into result: inout MigrationIntegrityRun
    ) throws(DirtyRingError) {
        let needed = parameters.checkSeconds(rate: rate)
        let deadline = Monotonic.now + Double(needed) + 10
        var firstSecond: Int?
        var lastSecond: Int?
        var lastChange = Monotonic.now
        var report = serial(directory, "destination")
        while true {
            report = serial(directory, "destination")
            if let second = report.lastSecond {
                if firstSecond == nil { firstSecond = second }
                if second != lastSecond { lastSecond = second; lastChange = Monotonic.now }
            }
            result.stalePages = report.stalePages
            if let firstSecond, let lastSecond, lastSecond - firstSecond >= needed {
                result.destinationRunning = true
                return
            }
            let silent = Monotonic.now - lastChange
            if !process.isRunning || silent > Self.silenceSeconds || Monotonic.now > deadline {
                result.destinationRunning = false
                let seen = lastSecond.map { "stopped reporting after its second \($0)" } ?? "never reported"
                let why = !process.isRunning ? " (QEMU exited)" : silent > Self.silenceSeconds
                    ? " (silent for \(secondsText(Self.silenceSeconds)) s)" : ""
                throw DirtyRingError(kind: .stall, message: "destination: the canary \(seen)\(why)")
            }
            Monotonic.sleep(0.25)
        }
    }
}
