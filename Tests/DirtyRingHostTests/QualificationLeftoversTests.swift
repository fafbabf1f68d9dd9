import DirtyRingCore
@testable import DirtyRingHost
import Foundation
import LibvirtClient
import Testing

/// A qualification whose process died leaves nothing running for long: the next one removes
/// the leftovers of dead owners, and only those.
@Suite("Qualification leftovers")
struct QualificationLeftoversTests {
    /// A pid that no process has (pid_max is at most 4194304).
    static let deadPid: Int32 = 4_194_303

    @Test("owner pids are read from canary and migration-check names")
    func owners() {
        #expect(QualificationLeftovers.owner(of: "dirtyring-canary-100-4242-1234", prefix: "dirtyring-canary-", skipping: 1) == 4242)
        #expect(QualificationLeftovers.owner(of: "mig-4242-a1b2", prefix: "mig-", skipping: 0) == 4242)
        #expect(QualificationLeftovers.owner(of: "mig-", prefix: "mig-", skipping: 0) == nil)
        #expect(QualificationLeftovers.owner(of: "dirtyring-canary-x", prefix: "dirtyring-canary-", skipping: 1) == nil)
        #expect(QualificationLeftovers.owner(of: "instance-00000001", prefix: "dirtyring-canary-", skipping: 1) == nil)
        #expect(QualificationLeftovers.isAlive(getpid()))
        #expect(!QualificationLeftovers.isAlive(Self.deadPid))
    }

    @Test("a dead owner's canary guest, migration QEMU and files are removed; a live owner's are kept")
    func removesOnlyDeadOwners() throws {
        let stateDirectory = try temporaryStateDirectory()
        let dead = "dirtyring-canary-10-\(Self.deadPid)-1"
        let guests = try TestGuest.start([(dead, ["--mb", "16", "--rate", "1"])])
        defer { guests.forEach { $0.destroy() } }

        // A stand-in for a migration-check QEMU of the dead owner, and one of ours.
        let deadDirectory = stateDirectory + "/mig-\(Self.deadPid)-abc"
        let liveDirectory = stateDirectory + "/mig-\(getpid())-abc"
        for directory in [deadDirectory, liveDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let qemu = Process()
        qemu.executableURL = URL(fileURLWithPath: "/bin/bash")
        qemu.arguments = ["-c", "exec -a dirtyring-migcheck-source sleep 300"]
        try qemu.run()
        defer { if qemu.isRunning { qemu.terminate() } }
        Thread.sleep(forTimeInterval: 0.3)
        try "\(qemu.processIdentifier)\n".write(toFile: deadDirectory + "/source.pid", atomically: true, encoding: .utf8)
        try "1\n".write(toFile: deadDirectory + "/destination.pid", atomically: true, encoding: .utf8)  // init: not a QEMU
        try "x".write(toFile: stateDirectory + "/\(dead)-serial.log", atomically: true, encoding: .utf8)

        let context = try HostContext.open(ContextConfiguration(stateDir: stateDirectory))
        let removed = context.removeQualificationLeftovers()
        print(removed)
        #expect(removed.contains("canary guest \(dead)"))
        #expect(removed.contains { $0.hasPrefix("QEMU \(qemu.processIdentifier) ") })
        let running = try Connection(uri: ContextConfiguration.defaultLibvirtURI).activeDomains().map(\.name)
        #expect(!running.contains(dead))
        qemu.waitUntilExit()
        #expect(qemu.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: deadDirectory))
        #expect(!FileManager.default.fileExists(atPath: stateDirectory + "/\(dead)-serial.log"))
        #expect(FileManager.default.fileExists(atPath: liveDirectory))
        #expect(kill(1, 0) == 0)
    }
}
