import DirtyRingCore
import DirtyRingHost
import Foundation
import Testing

/// The selftest verdict on disk and in the host probe.
@Suite("Ring selftest state")
struct SelftestStoreTests {
    @Test("absent is unknown; a saved verdict is read back by the probe; clear forgets it")
    func roundTrip() throws {
        let directory = try temporaryStateDirectory() + "/nested"
        let store = SelftestStore(directory: directory)
        #expect(store.load() == .unknown)
        let context = try HostContext.open(ContextConfiguration(stateDir: directory))
        #expect(try context.probe().ringSelftest == .unknown)
        let verdict = RingSelftest(state: .failed, checkedAt: "2026-11-28T04:24:19Z", evidence: "vCPU 0 stalled")
        try store.save(verdict)
        #expect(try context.probe().ringSelftest == verdict)
        try store.clear()
        #expect(store.load() == .unknown)
    }

    @Test("a host document without ring_selftest decodes as unknown")
    func decodesMissingAsUnknown() throws {
        let report = try HostContext.open(ContextConfiguration(stateDir: try temporaryStateDirectory())).probe()
        let encoded = try JSONEncoder().encode(report)
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(object["ring_selftest"] != nil)
        object["ring_selftest"] = nil
        let decoded = try JSONDecoder().decode(HostReport.self, from: try JSONSerialization.data(withJSONObject: object))
        #expect(decoded.ringSelftest == .unknown)
    }

    @Test("state_dir must be absolute")
    func relativeStateDir() {
        #expect(throws: DirtyRingError.self) { try ContextConfiguration(stateDir: "relative").validated() }
    }
}
