import DirtyRingTestSupport
@testable import DirtyRingCore
import Foundation
import Testing

/// The ring qualification's verdicts and how they gate the ring, on recorded evidence of both
/// kinds of host this project ran on and on made-up verdicts: the logic is pure.
@Suite struct QualificationTests {
    static func reading(_ rate: Int, read: Double?, truth: Double?) -> CountingReading {
        CountingReading(rateMiBPerSecond: rate, periodSeconds: 2, readMiBPerSecond: read, truthMiBPerSecond: truth)
    }

    static func run(_ log: String, stale: Int?, completed: Bool = true, running: Bool = true, error: String? = nil)
        -> MigrationIntegrityRun {
        MigrationIntegrityRun(
            ringSize: log == "ring" ? 4096 : nil, workingSetMiB: 64, rateMiBPerSecond: 30,
            bandwidthMiBPerSecond: 40, completed: completed, seconds: 4, iterations: 9, stalePages: stale,
            destinationRunning: running, error: error)
    }

    static func recorded(_ name: String) throws -> RingQualification {
        try JSONDecoder().decode(
            RingQualification.self,
            from: Data(contentsOf: URL(fileURLWithPath: Repository.path("tox-data/qualification/" + name))))
    }

    @Test("counting passes only with five accurate readings of every canary, above and below the truth")
    func counting() {
        let exact = (1...5).flatMap { _ in [Self.reading(10, read: 10.4, truth: 10.0), Self.reading(100, read: 91, truth: 99.5)] }
        #expect(QualificationVerdicts.counting(exact, ringSize: 4096).state == .passed)
        // This AMD host: 16-17 for 10, 8 then 0 for 100 (the canary stopped).
        let amd = (1...5).map { _ in Self.reading(10, read: 16, truth: 10) }
            + [Self.reading(100, read: 8, truth: 91.4), Self.reading(100, read: 0, truth: nil)]
        let failed = QualificationVerdicts.counting(amd, ringSize: 4096)
        #expect(failed.state == .failed)
        #expect(failed.summary.contains("5 of 5 readings at 10 MiB/s off by more than 10 %"))
        #expect(failed.summary.contains("only 2 of 5 periods read at 100 MiB/s"))
        #expect(failed.evidence.count == 2)
        #expect(failed.evidence[1].contains("fills a 4096-entry ring 12.5 times a 2 s period"))
        // One reading 11 % low is enough to fail; 10 % is within.
        var oneOff = exact
        oneOff[0] = Self.reading(10, read: 8.9, truth: 10)
        #expect(QualificationVerdicts.counting(oneOff, ringSize: 4096).state == .failed)
        oneOff[0] = Self.reading(10, read: 9.0, truth: 10)
        #expect(QualificationVerdicts.counting(oneOff, ringSize: 4096).state == .passed)
        // A failed measurement is no reading.
        oneOff[0] = CountingReading(rateMiBPerSecond: 10, periodSeconds: 2, readMiBPerSecond: nil, truthMiBPerSecond: 10, error: "timeout")
        #expect(QualificationVerdicts.counting(oneOff, ringSize: 4096).state == .failed)
        #expect(QualificationVerdicts.counting([], ringSize: 4096).state == .unknown)
    }

    @Test("migration integrity: a lost write fails it; a broken control makes it unknown, never passed")
    func migrationIntegrity() {
        let clean = (1...5).map { _ in Self.run("ring", stale: 0) }
        let controls = (1...3).map { _ in Self.run("bitmap", stale: 0) }
        #expect(QualificationVerdicts.migrationIntegrity(ring: clean, bitmap: controls).state == .passed)

        var lossy = clean
        lossy[1] = Self.run("ring", stale: 212)
        lossy[3] = Self.run("ring", stale: 691)
        let failed = QualificationVerdicts.migrationIntegrity(ring: lossy, bitmap: controls)
        #expect(failed.state == .failed)
        #expect(failed.summary.contains("2 of 5 live migrations with the ring failed: 212, 691 stale pages"))
        #expect(failed.evidence.count == 8)

        // The control lost writes too (or did not complete): the check is broken, not the ring.
        var brokenControl = controls
        brokenControl[2] = Self.run("bitmap", stale: 5)
        #expect(QualificationVerdicts.migrationIntegrity(ring: lossy, bitmap: brokenControl).state == .unknown)
        brokenControl[2] = Self.run("bitmap", stale: nil, completed: false, error: "did not complete within 60 s")
        #expect(QualificationVerdicts.migrationIntegrity(ring: clean, bitmap: brokenControl).state == .unknown)
        #expect(QualificationVerdicts.migrationIntegrity(ring: clean, bitmap: Array(controls.prefix(2))).state == .unknown)
        // Too few ring runs prove nothing.
        #expect(QualificationVerdicts.migrationIntegrity(ring: Array(clean.prefix(4)), bitmap: controls).state == .unknown)
        // A ring migration that did not complete fails the check.
        var stuck = clean
        stuck[0] = Self.run("ring", stale: nil, completed: false, error: "did not complete within 60 s")
        #expect(QualificationVerdicts.migrationIntegrity(ring: stuck, bitmap: controls).state == .failed)
    }

    @Test("liveness fails on any stop and says after which operation")
    func liveness() {
        #expect(QualificationVerdicts.liveness(operations: 10, stops: [], evidence: []).state == .passed)
        let stopped = QualificationVerdicts.liveness(
            operations: 2, stops: ["the 100 MiB/s canary stopped after ring reading 2"], evidence: [])
        #expect(stopped.state == .failed && stopped.summary.contains("after ring reading 2"))
        #expect(QualificationVerdicts.liveness(operations: 0, stops: [], evidence: []).state == .unknown)
    }

    @Test("the verdict: failed if a check failed, else unknown if one did not conclude, else passed")
    func verdict() {
        let key = Fixture.host().qualificationKey(ringSize: 4096)
        func checks(_ states: [RingQualification.State]) -> [QualificationCheck] {
            zip(QualificationCheck.Name.allCases, states).map { QualificationCheck(name: $0, state: $1, summary: "\($0.rawValue) s") }
        }
        #expect(RingQualification(key: key, checkedAt: "t", seconds: 1, checks: checks([.passed, .passed, .passed])).state == .passed)
        let failed = RingQualification(key: key, checkedAt: "t", seconds: 1, checks: checks([.failed, .unknown, .passed]))
        #expect(failed.state == .failed)
        #expect(failed.evidence == "counting failed: counting s")
        let inconclusive = RingQualification(key: key, checkedAt: "t", seconds: 1, checks: checks([.passed, .unknown, .passed]))
        #expect(inconclusive.state == .unknown)
        #expect(RingQualification(key: key, checkedAt: "t", seconds: 1, checks: []).state == .unknown)
    }

    @Test("a verdict holds only for the facts it was proven on")
    func staleness() {
        let key = Fixture.host().qualificationKey(ringSize: 4096)
        let passed = Fixture.host().dirtyRing.verdict(for: .default)
        #expect(passed.holding(for: key) == passed)
        var upgraded = key
        upgraded.qemuVersion = "10.0.2"
        upgraded.kernelRelease = "6.19.0"
        let stale = passed.holding(for: upgraded)
        #expect(stale.state == .unknown)
        #expect(stale.stale == ["kernel 6.1.0-18-amd64, now 6.19.0", "QEMU 7.2.0, now 10.0.2"])
        // The same verdict on a host report of other facts: not offered.
        let moved = HostReport(
            kvm: Fixture.kvm(), kernelRelease: "6.19.0", cpuModel: "Test CPU", libvirtVersion: Version(9, 0, 0),
            qemuVersion: Version(7, 2, 0), qualifications: [passed])
        #expect(!moved.dirtyRing.offered && moved.dirtyRing.qualifiedSizes.isEmpty)
    }

    @Test("recorded evidence of both kinds of host: each fails, and the ring is not offered", arguments: [
        "amd-epyc-kvm_pvm-ring4096.json", "intel-kvm_pvm-ring4096.json",
    ])
    func recordedHosts(_ file: String) throws {
        let verdict = try Self.recorded(file)
        #expect(verdict.state == .failed)
        let key = try #require(verdict.key)
        let host = HostReport(
            kvm: KVMFacts(available: true, module: key.kvmModule, dirtyRingMaxBytes: 1 << 20, dirtyRingMaxEntries: 65536),
            kernelRelease: key.kernelRelease, cpuModel: key.cpuModel, libvirtVersion: Version(key.libvirtVersion),
            qemuVersion: Version(key.qemuVersion), qualifications: [verdict])
        #expect(host.dirtyRing.usable && !host.dirtyRing.offered)
        #expect(host.dirtyRing.qualification == verdict)
        let decision = try RingDecision.decide(.init(config: RingConfig(), host: host))
        #expect(!decision.enabled)
        #expect(decision.reason.contains("not proven that a dirty ring of 4096 entries loses no write"))
        #expect(decision.reason.contains("qualification failed"))
        #expect(throws: DirtyRingError.self) { try ConfigCheck.check(RingConfig(mode: .on), host: host) }
    }

    @Test("ring_mode = on refuses an unqualified host, naming the failed check; auto only stops offering")
    func modeOn() throws {
        let failed = RingQualification(
            key: Fixture.host().qualificationKey(ringSize: 4096), checkedAt: "2026-12-07T19:26:57Z", seconds: 39,
            checks: [QualificationCheck(name: .counting, state: .failed, summary: "read 16.0 for 10.0 MiB/s (+60 %)")])
        let host = Fixture.host(qualified: [], verdicts: [failed])
        let error = try #require(throws: DirtyRingError.self) { try ConfigCheck.check(RingConfig(mode: .on), host: host) }
        #expect(error.kind == .invalidConfig && error.option == "[dirtyring] ring_mode" && error.value == "on")
        #expect(error.message.contains("counting failed: read 16.0 for 10.0 MiB/s (+60 %)"))
        let auto = try ConfigCheck.check(RingConfig(mode: .auto), host: host)
        #expect(!auto.offersRing && !auto.needsQualification && auto.qualification == failed)
        // Never qualified, or stale: not offered, a qualification is asked for, and `on` may
        // start one before it decides.
        let never = try ConfigCheck.check(RingConfig(mode: .on), host: Fixture.host(qualified: []))
        #expect(!never.offersRing && never.needsQualification && never.qualification?.state == .unknown)
        var newer = Fixture.host().qualificationKey(ringSize: 4096)
        newer.qemuVersion = "10.0.2"
        let stale = Fixture.host(qualified: [], verdicts: [RingQualification(
            key: newer, checkedAt: "t", seconds: 1, checks: failed.checks.map { var c = $0; c.state = .passed; return c })])
        #expect(try ConfigCheck.check(RingConfig(mode: .on), host: stale).needsQualification)
        // Inconclusive (a check could not conclude): asked for again, and `on` refuses it.
        let inconclusive = Fixture.host(qualified: [], verdicts: [RingQualification(
            key: Fixture.host().qualificationKey(ringSize: 4096), checkedAt: "t", seconds: 1,
            checks: [QualificationCheck(name: .migrationIntegrity, state: .unknown, summary: "a control lost writes")])])
        #expect(try ConfigCheck.check(RingConfig(mode: .auto), host: inconclusive).needsQualification)
        let refusedInconclusive = try #require(throws: DirtyRingError.self) {
            try ConfigCheck.check(RingConfig(mode: .on), host: inconclusive)
        }
        #expect(refusedInconclusive.message.contains("a control lost writes"))
        // Qualified: offered, nothing to run.
        let qualified = try ConfigCheck.check(RingConfig(mode: .on), host: Fixture.host())
        #expect(qualified.offersRing && !qualified.needsQualification && qualified.qualification?.state == .passed)
        // Qualified for another size only: that size can be asked for by a flavor.
        let other = Fixture.host(qualified: [65536])
        #expect(try ConfigCheck.check(RingConfig(mode: .auto), host: other).offersRing == false)
        let flavor = try RingDecision.decide(.init(
            config: RingConfig(), host: other, flavorExtraSpecs: ["dirtyring:ring_size": "65536"]))
        #expect(flavor.enabled && flavor.size == 65536)
        #expect(throws: DirtyRingError.self) {
            try RingDecision.decide(.init(config: RingConfig(), host: other, flavorExtraSpecs: ["dirtyring:ring": "on"]))
        }
    }

    @Test("a ring guest goes only to a destination qualified for its size")
    func destination() throws {
        func check(_ host: HostReport, size: Int) throws -> DestinationCheck.Result {
            try DestinationCheck.check(.init(config: RingConfig(), host: host, hostName: "dst", instanceRingSize: size))
        }
        #expect(try check(Fixture.host(), size: 4096).allowed)
        #expect(try check(Fixture.host(qualified: []), size: 0).allowed)
        let refused = try check(Fixture.host(qualified: [65536], verdicts: [try Self.recorded("intel-kvm_pvm-ring4096.json")]), size: 4096)
        #expect(!refused.allowed)
        #expect(refused.reason.hasPrefix("destination dst cannot run this instance's dirty ring of 4096 entries: it has not proven"))
    }

    @Test("a ring guest leaves only a qualified source, unless the operator allows it, with the risk and the way out")
    func source() throws {
        func check(_ host: HostReport, size: Int, allow: Bool = false) throws -> SourceRingCheck.Result {
            try SourceRingCheck.check(.init(host: host, hostName: "src", instanceRingSize: size, allowUnqualified: allow))
        }
        #expect(try check(Fixture.host(), size: 4096) == .init(
            allowed: true, unqualified: false, reason: "source src qualified this instance's dirty ring of 4096 entries"))
        let amd = Fixture.host(qualified: [])
        #expect(try check(amd, size: 0).allowed)
        let refused = try check(amd, size: 4096)
        #expect(!refused.allowed && refused.unqualified)
        #expect(refused.reason.contains("could silently corrupt the guest's memory"))
        #expect(refused.reason.contains("A cold migration or a hard reboot rebuilds the guest without the ring"))
        #expect(refused.reason.contains("[dirtyring] allow_unqualified_ring_migration = true"))
        let allowed = try check(amd, size: 4096, allow: true)
        #expect(allowed.allowed && allowed.unqualified)
        #expect(allowed.reason.hasSuffix("migrating anyway: [dirtyring] allow_unqualified_ring_migration = true"))
        #expect(throws: DirtyRingError.self) { try check(amd, size: 3000) }
        let viaJSON = try #require(Fixture.response(ABIRequests.sourceCheck(
            json: #"{"host": \#(Fixture.json(amd)), "host_name": "src", "instance_ring_size": 4096}"#)))
        guard case .object(let ok)? = viaJSON.ok else { Issue.record("no ok: \(viaJSON)"); return }
        #expect(ok["allowed"] == .bool(false) && ok["unqualified"] == .bool(true))
    }
}
