@testable import DirtyRingCore
import Foundation
import Testing

@Suite("Migration integrity: the run's verdict and evidence, the canary's report, QEMU's answers")
struct MigrationIntegrityTests {
    static func run(
        ring: Int? = 4096, completed: Bool = true, stale: Int? = 0, running: Bool = true, error: String? = nil
    ) -> MigrationIntegrityRun {
        MigrationIntegrityRun(
            ringSize: ring, workingSetMiB: 64, rateMiBPerSecond: 30, bandwidthMiBPerSecond: 40,
            completed: completed, seconds: completed ? 6.06 : nil, iterations: 5, downtimeMilliseconds: 212,
            transferredMiB: 180.4, stalePages: stale, destinationRunning: running, error: error)
    }

    @Test("passes only when completed, the canary kept running, found no stale page and nothing failed")
    func passed() {
        #expect(Self.run().passed)
        #expect(!Self.run(completed: false).passed)
        #expect(!Self.run(stale: 1).passed)
        #expect(!Self.run(stale: nil).passed)
        #expect(!Self.run(running: false).passed)
        #expect(!Self.run(error: "destination: the canary stopped").passed)
        #expect(Self.run(ring: nil).passed)
    }

    @Test("the evidence line says what the migration did and what the canary found")
    func evidence() {
        #expect(Self.run(stale: 212).evidence
            == "ring 4096: 64 MiB at 30 MiB/s over 40 MiB/s: completed in 6.1 s, 5 iterations, downtime 212 ms, "
            + "180.4 MiB sent, 212 stale pages on the destination")
        #expect(Self.run(ring: nil).evidence.hasPrefix("bitmap: 64 MiB at 30 MiB/s over 40 MiB/s: completed in 6.1 s"))
        #expect(Self.run(ring: nil).evidence.hasSuffix("0 stale pages on the destination"))
        #expect(Self.run(stale: 1).evidence.hasSuffix("1 stale page on the destination"))
        #expect(Self.run(stale: nil, running: false, error: "destination: the canary never reported").evidence
            .hasSuffix("stale pages unknown, the canary stopped reporting on the destination "
                + "(destination: the canary never reported)"))
        let failed = MigrationIntegrityRun(
            ringSize: 4096, workingSetMiB: 64, rateMiBPerSecond: 28, bandwidthMiBPerSecond: 40,
            error: "source: the canary did not start")
        #expect(failed.evidence == "ring 4096: 64 MiB at 28 MiB/s over 40 MiB/s: did not complete (source: the canary did not start)")
    }

    @Test("JSON: snake_case keys, passed and evidence written for readers, ignored when read back")
    func json() throws {
        let run = Self.run(stale: 3)
        let data = try JSONEncoder().encode(run)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == [
            "dirty_log", "ring_size", "working_set_mib", "rate_mib_per_second", "bandwidth_mib_per_second",
            "completed", "seconds", "iterations", "downtime_milliseconds", "transferred_mib", "stale_pages",
            "destination_running", "passed", "evidence",
        ])
        #expect(object["dirty_log"] as? String == "ring")
        #expect(object["passed"] as? Bool == false)
        #expect(try JSONDecoder().decode(MigrationIntegrityRun.self, from: data) == run)
        let bitmap = try JSONEncoder().encode(Self.run(ring: nil, error: "x"))
        let decoded = try JSONDecoder().decode(MigrationIntegrityRun.self, from: bitmap)
        #expect(decoded.dirtyLog == "bitmap" && decoded.ringSize == 0 && decoded.error == "x")
    }

    @Test("the canary's serial: last second, last stale count, samples; garbage ignored")
    func serial() {
        let text = """
            dirtyring-guest: up mb=64 rate=30 check=1\r
            dirtyring-guest: tsc_khz=2596522 wset=0x02000000+64MiB\r
            dirtyring-guest: t=1 achieved=30.0 MiB/s pages=7680 stale=0\r
            \u{0}\u{ff}garbage t=99 stale=99
            dirtyring-guest: stale page=17 found=3 expected=4\r
            dirtyring-guest: t=2 achieved=29.9 MiB/s pages=7664 stale=1\r
            dirtyring-guest: t=3 achieved=30.0 MiB/s pages=7680 stale=99999999999999999999999\r
            dirtyring-guest: t=4 achi
            """
        let report = CanarySerialReport(text: text)
        #expect(report.up)
        #expect(report.lastSecond == 3, "the line without its newline is not read yet")
        #expect(report.stalePages == 1, "an unreadable count keeps the last readable one")
        #expect(report.progressLines == 3)
        #expect(report.staleSamples == ["page=17 found=3 expected=4"])
        let plain = CanarySerialReport(text: "dirtyring-guest: t=7 achieved=10.0 MiB/s pages=2560\n")
        #expect(plain.stalePages == nil && plain.lastSecond == 7 && !plain.up)
        #expect(CanarySerialReport(text: "").progressLines == 0)
    }

    @Test("query-migrate answers: figures, final states, wrong shapes")
    func queryMigrate() throws {
        let answer = try OsloJSONParser.parse("""
            {"status": "completed", "total-time": 6061, "downtime": 212, "setup-time": 3,
             "ram": {"transferred": 189162496, "remaining": 0, "dirty-sync-count": 5}}
            """)
        let status = try #require(QEMUMigrationStatus(answer))
        #expect(status.status == "completed" && status.isFinal)
        #expect(status.totalMilliseconds == 6061 && status.downtimeMilliseconds == 212)
        #expect(status.dirtySyncCount == 5 && status.transferredBytes == 189_162_496 && status.remainingBytes == 0)
        let failed = try #require(QEMUMigrationStatus(try OsloJSONParser.parse(
            #"{"status": "failed", "error-desc": "Unable to write", "ram": "x", "total-time": 1e300}"#)))
        #expect(failed.isFinal && failed.errorDescription == "Unable to write")
        #expect(failed.dirtySyncCount == nil && failed.totalMilliseconds == nil)
        #expect(QEMUMigrationStatus(try OsloJSONParser.parse(#"{"status": "active"}"#))?.isFinal == false)
        #expect(QEMUMigrationStatus(.array([])) == nil)
        #expect(QEMUMigrationStatus(try OsloJSONParser.parse("{}"))?.status == "none")
    }

    @Test("the emulator comes from libvirt's capabilities: the kvm domain's own, else its arch's")
    func emulator() {
        let capabilities = """
            <capabilities><host><cpu><arch>x86_64</arch></cpu></host>
              <guest><os_type>hvm</os_type><arch name='i686'><emulator>/usr/bin/qemu-system-i386</emulator>
                <domain type='kvm'/></arch></guest>
              <guest><os_type>hvm</os_type><arch name='x86_64'><wordsize>64</wordsize>
                <emulator> /usr/bin/qemu-system-x86_64 </emulator><domain type='qemu'/><domain type='kvm'/></arch></guest>
            </capabilities>
            """
        #expect(QEMUEmulator.path(capabilitiesXML: capabilities) == "/usr/bin/qemu-system-x86_64")
        let own = capabilities.replacingOccurrences(
            of: "<domain type='kvm'/></arch></guest>\n</capabilities>",
            with: "<domain type='kvm'><emulator>/opt/kvm</emulator></domain></arch></guest></capabilities>")
        #expect(QEMUEmulator.path(capabilitiesXML: own) == "/opt/kvm")
        let noKVM = capabilities.replacingOccurrences(of: "<domain type='kvm'/></arch></guest>\n", with: "</arch></guest>")
        #expect(QEMUEmulator.path(capabilitiesXML: noKVM) == nil)
        #expect(QEMUEmulator.path(capabilitiesXML: "<capabilities><guest>") == nil)
        #expect(QEMUEmulator.path(capabilitiesXML: "") == nil)
    }

    @Test("parameters: rates alternate around the base, checks cover two passes, bad values refused")
    func parameters() throws {
        let parameters = MigrationIntegrityParameters()
        #expect((0..<5).map(parameters.rate(run:)) == [30, 28, 32, 26, 34])
        #expect(parameters.checkSeconds(rate: 30) == 7)
        #expect(parameters.guestMemoryMiB == 128)
        #expect(MigrationIntegrityParameters(rateMiBPerSecond: 1, rateStepMiBPerSecond: 5).rate(run: 1) == 1)
        _ = try parameters.validated()
        for bad in [
            MigrationIntegrityParameters(workingSetMiB: 0), MigrationIntegrityParameters(rateMiBPerSecond: 0),
            MigrationIntegrityParameters(bandwidthMiBPerSecond: -1), MigrationIntegrityParameters(migrationTimeoutSeconds: .nan),
            MigrationIntegrityParameters(workingSetMiB: 1, corruptPages: 257), MigrationIntegrityParameters(corruptPages: -1),
        ] {
            let error = try #require(throws: DirtyRingError.self) { try bad.validated() }
            #expect(error.kind == .invalidRequest)
        }
    }
}
