import DirtyRingCore
import DirtyRingHost
import DirtyRingTestSupport
import Foundation
import Testing

/// The host probe against this machine's real libvirtd (started by scripts/test).
@Suite("Host probe on the real libvirtd")
struct HostProbeTests {
    static func libvirtdVersion() throws -> String {
        let text = try ChildProcess.run("/usr/sbin/libvirtd", ["--version"]).output
        return String(text.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("the probe reads libvirt, QEMU and KVM and explains its verdict")
    func probe() throws {
        let report = try HostContext.open(ContextConfiguration()).probe()
        #expect(report.libvirtVersion?.description == (try Self.libvirtdVersion()))
        let qemu = try #require(report.qemuVersion)
        #expect(qemu >= Version(6, 1, 0))
        #expect(report.kvm.available)
        #expect(report.dirtyRing.usable == report.dirtyRing.reasons.isEmpty)
        #expect(report.dirtyRing.usable, "this machine runs libvirt 9.0 / QEMU 7.2 on a ring-capable kernel")
        #expect(report.dirtyRing.maxSize == min(65536, report.kvm.dirtyRingMaxEntries))
    }

    @Test("an unreachable libvirt is a libvirt error, not a hang")
    func unreachable() throws {
        let configuration = ContextConfiguration(libvirtURI: "qemu+unix:///system?socket=/nonexistent.sock", timeoutSeconds: 5)
        let error = try #require(throws: DirtyRingError.self) { try HostContext.open(configuration) }
        #expect(error.kind == .libvirt)
        #expect(error.message.contains("nonexistent.sock"))
    }

    @Test("a missing KVM device makes the ring unusable with the reason")
    func missingKVM() throws {
        let report = try HostContext.open(ContextConfiguration(kvmDevice: "/dev/no-such-kvm")).probe()
        #expect(!report.kvm.available)
        #expect(!report.dirtyRing.usable)
        #expect(report.dirtyRing.reasons.contains { $0.contains("/dev/no-such-kvm") })
    }
}
