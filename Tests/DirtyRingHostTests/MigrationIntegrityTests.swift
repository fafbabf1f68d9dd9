import DirtyRingCore
import DirtyRingHost
import DirtyRingTestSupport
import Foundation
import QEMUProcess
import Testing

/// The migration integrity check on this host's real QEMU and /dev/kvm. Fails (never skips) when
/// QEMU, KVM, libvirtd or the guest kernel is unusable. Never assumes what the ring does here:
/// the bitmap is exact on every host, the ring is only required to give a well-formed answer.
@Suite("Migration integrity check on real QEMU", .serialized)
struct MigrationIntegrityHostTests {
    /// The canary kernel: DIRTYRING_GUEST_ELF, else built by scripts/build-guest.
    static func kernel() throws -> String {
        if let path = ProcessInfo.processInfo.environment["DIRTYRING_GUEST_ELF"], !path.isEmpty { return path }
        let build = try ChildProcess.run(Repository.path("scripts/build-guest"), [])
        try #require(build.status == 0, "scripts/build-guest failed: \(build.output)")
        let path = Repository.path(".build/guest/guest.elf")
        try #require(FileManager.default.fileExists(atPath: path), "no \(path) after scripts/build-guest")
        return path
    }

    static func context() throws -> HostContext {
        try HostContext.open(ContextConfiguration(stateDir: try temporaryStateDirectory()))
    }

    /// Small and quick, still several rounds: 32 MiB at 24 MiB/s over 32 MiB/s.
    static let quick = MigrationIntegrityParameters(workingSetMiB: 32, rateMiBPerSecond: 24, bandwidthMiBPerSecond: 32)

    @Test("QMP: greeting, commands, errors as DirtyRingError; the child is stopped and reaped")
    func qmp() throws {
        let directory = try temporaryStateDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = try QEMUProcess.spawn(
            binary: QEMUEmulator.fallbackPath,
            arguments: ["-machine", "pc", "-accel", "kvm", "-m", "64", "-nodefaults", "-display", "none", "-S",
                        "-qmp", "unix:\(directory)/q.sock,server=on,wait=off"],
            outputPath: "\(directory)/out.log")
        #expect(process.pid > 0)
        let client = try QMPClient.connect(
            path: "\(directory)/q.sock", connectSeconds: 20, timeoutSeconds: 10, keepTrying: { process.isRunning })
        #expect(try client.execute("query-status")["status"]?.stringValue == "prelaunch")
        let error = try #require(throws: DirtyRingError.self) { try client.execute("no-such-command") }
        #expect(error.message.contains("no-such-command"), "\(error)")
        let wrong = try #require(throws: DirtyRingError.self) {
            try client.execute("migrate-set-parameters", arguments: .object([("max-bandwidth", .string("x"))]))
        }
        #expect(wrong.message.contains("max-bandwidth"), "\(wrong)")
        #expect(process.isRunning)
        process.stop()
        #expect(!process.isRunning)
        #expect(kill(process.pid, 0) != 0, "the child is gone and reaped")
        let missing = try #require(throws: DirtyRingError.self) {
            try QMPClient.connect(path: "\(directory)/none.sock", connectSeconds: 0.3, timeoutSeconds: 1)
        }
        #expect(missing.kind == .timeout)
    }

    @Test("bitmap: the canary migrates with no stale page and keeps running on the destination")
    func bitmap() throws {
        let start = Date()
        let runs = try Self.context().checkMigrationIntegrity(kernelPath: try Self.kernel(), ringSize: nil, runs: 1)
        let elapsed = Date().timeIntervalSince(start)
        let run = try #require(runs.first)
        print("bitmap run in \(elapsed) s: \(run.evidence)")
        #expect(run.passed, "\(run.evidence)")
        #expect(run.dirtyLog == "bitmap" && run.ringSize == 0)
        #expect(run.completed && run.destinationRunning && run.stalePages == 0 && run.error == nil)
        #expect((run.iterations ?? 0) >= 3, "several rounds: \(run.evidence)")
        #expect((run.downtimeMilliseconds ?? -1) >= 0)
        #expect((run.transferredMiB ?? 0) >= Double(run.workingSetMiB), "\(run.evidence)")
    }

    @Test("the check can fail: pages the canary left unwritten once are reported stale on the destination")
    func detectsStalePages() throws {
        var parameters = Self.quick
        parameters.corruptPages = 5
        let runs = try Self.context().checkMigrationIntegrity(
            kernelPath: try Self.kernel(), ringSize: nil, runs: 1, parameters: parameters)
        let run = try #require(runs.first)
        #expect(run.completed && run.destinationRunning, "\(run.evidence)")
        #expect(run.stalePages == 5, "\(run.evidence)")
        #expect(!run.passed)
        #expect(run.evidence.contains("5 stale pages on the destination"), "\(run.evidence)")
    }

    @Test("ring: a run gives a well-formed answer, whatever this host's ring does")
    func ring() throws {
        let start = Date()
        let runs = try Self.context().checkMigrationIntegrity(kernelPath: try Self.kernel(), ringSize: 4096, runs: 1)
        let elapsed = Date().timeIntervalSince(start)
        let run = try #require(runs.first)
        print("ring run in \(elapsed) s: \(run.evidence)")
        #expect(run.dirtyLog == "ring" && run.ringSize == 4096)
        #expect(run.evidence.hasPrefix("ring 4096: 64 MiB at 30 MiB/s over 40 MiB/s: "))
        #expect(run.completed || run.error != nil, "a run that did not complete says why: \(run.evidence)")
        #expect(run.passed == (run.completed && run.destinationRunning && run.stalePages == 0 && run.error == nil))
        if run.completed { #expect(run.iterations != nil && run.seconds != nil, "\(run.evidence)") }
        #expect(elapsed < 90)
    }

    @Test("an unusable QEMU or request: runs fail with a reason, bad requests throw, nothing is left behind")
    func failures() throws {
        let context = try Self.context()
        let kernel = try Self.kernel()
        let runs = try context.checkMigrationIntegrity(
            kernelPath: kernel, ringSize: nil, runs: 2, qemuBinary: "/nonexistent/qemu-system-x86_64")
        #expect(runs.count == 2)
        for run in runs {
            #expect(!run.passed && !run.completed && run.stalePages == nil)
            #expect(run.error?.contains("/nonexistent/qemu-system-x86_64") == true, "\(run.evidence)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: context.configuration.stateDir)
        #expect(leftovers.allSatisfy { !$0.hasPrefix("mig-") }, "\(leftovers)")
        for (ring, count, path) in [(3000, 1, kernel), (nil, 0, kernel), (nil, 1, "/nonexistent/guest.elf")] as [(Int?, Int, String)] {
            let error = try #require(throws: DirtyRingError.self) {
                try context.checkMigrationIntegrity(kernelPath: path, ringSize: ring, runs: count)
            }
            #expect(error.kind == .invalidRequest)
        }
        #expect(context.qemuEmulatorPath().hasPrefix("/"))
    }
}
