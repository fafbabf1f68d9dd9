import DirtyRingCore
import DirtyRingHost
import Foundation
import Testing

/// The qualification verdicts on disk and in the host probe.
@Suite("Ring qualification state")
struct QualificationStoreTests {
    /// A verdict of `state` proven on `key`.
    static func verdict(_ state: RingQualification.State, _ key: QualificationKey) -> RingQualification {
        RingQualification(
            key: key, checkedAt: "2026-12-07T10:00:00Z", seconds: 140,
            checks: QualificationCheck.Name.allCases.map {
                QualificationCheck(name: $0, state: $0 == .counting ? state : .passed, summary: "recorded by the test")
            })
    }

    @Test("absent is unknown; verdicts per ring size are read back by the probe; clear forgets them")
    func roundTrip() throws {
        let directory = try temporaryStateDirectory() + "/nested"
        let store = QualificationStore(directory: directory)
        #expect(store.loadAll().isEmpty)
        let context = try HostContext.open(ContextConfiguration(stateDir: directory))
        let fresh = try context.probe()
        #expect(fresh.dirtyRing.qualification.state == .unknown)
        #expect(!fresh.dirtyRing.offered)

        let failed = Self.verdict(.failed, fresh.qualificationKey(ringSize: 4096))
        let passed = Self.verdict(.passed, fresh.qualificationKey(ringSize: 65536))
        try store.save(failed)
        try store.save(passed)
        let probed = try context.probe()
        #expect(probed.dirtyRing.qualification == failed)
        #expect(probed.dirtyRing.offered == false)
        #expect(probed.dirtyRing.qualifiedSizes == (probed.dirtyRing.usable && probed.dirtyRing.maxSize >= 65536 ? [65536] : []))
        let large = try context.probe(ringSize: 65536)
        #expect(large.dirtyRing.qualification == passed)
        #expect(large.dirtyRing.offered == (large.dirtyRing.usable && large.dirtyRing.maxSize >= 65536))

        // A newer verdict of the same size replaces the older one.
        try store.save(Self.verdict(.passed, fresh.qualificationKey(ringSize: 4096)))
        #expect(store.loadAll().count == 2)
        #expect(try context.probe().dirtyRing.qualification.state == .passed)

        try store.clear()
        #expect(store.loadAll().isEmpty)
        #expect(try context.probe().dirtyRing.qualification.state == .unknown)
    }

    @Test("a verdict proven on another QEMU, kernel or CPU is stale: unknown, naming what changed")
    func staleVerdict() throws {
        let directory = try temporaryStateDirectory()
        let context = try HostContext.open(ContextConfiguration(stateDir: directory))
        var key = try context.probe().qualificationKey(ringSize: 4096)
        key.qemuVersion = "6.2.0"
        key.cpuModel = "Another CPU"
        try QualificationStore(directory: directory).save(Self.verdict(.passed, key))
        let probed = try context.probe().dirtyRing
        #expect(probed.qualification.state == .unknown)
        #expect(!probed.offered)
        #expect(probed.qualification.stale.contains { $0.hasPrefix("QEMU 6.2.0, now ") })
        #expect(probed.qualification.stale.contains { $0.hasPrefix("CPU Another CPU, now ") })
        #expect(probed.qualification.evidence?.contains("stale") == true)
    }

    @Test("a host document without qualifications decodes as qualifying nothing")
    func decodesMissingAsUnknown() throws {
        let report = try HostContext.open(ContextConfiguration(stateDir: try temporaryStateDirectory())).probe()
        let encoded = try JSONEncoder().encode(report)
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        var ring = try #require(object["dirty_ring"] as? [String: Any])
        #expect(ring["qualifications"] != nil && ring["offered"] != nil)
        ring["qualifications"] = nil
        object["dirty_ring"] = ring
        let decoded = try JSONDecoder().decode(HostReport.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(decoded.dirtyRing.qualification.state == .unknown)
        #expect(decoded.dirtyRing.qualifiedSizes.isEmpty && !decoded.dirtyRing.offered)
    }

    @Test("state_dir must be absolute")
    func relativeStateDir() {
        #expect(throws: DirtyRingError.self) { try ContextConfiguration(stateDir: "relative").validated() }
    }
}
