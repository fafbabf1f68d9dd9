import DirtyRingCore
@testable import DirtyRingHost
import HostKVM
import Testing

/// The pure parts of measurement: the canary's XML, the serial parser, the stall rule.
@Suite("Measurement building blocks")
struct MeasurementModelTests {
    @Test("the canary XML carries the ring, the kernel and the serial file")
    func canaryXML() throws {
        let canary = CanaryDomain(name: "c1", kernelPath: "/k/guest.elf", serialPath: "/s/c1 <x>.log")
        #expect(try DomainXML.dirtyRingSize(domainXML: canary.xml) == 4096)
        #expect(canary.xml.contains("<kernel>/k/guest.elf</kernel>"))
        #expect(canary.xml.contains("<cmdline>mb=64 rate=0</cmdline>"))
        #expect(canary.xml.contains("/s/c1 &lt;x&gt;.log"))
    }

    @Test("the guest's progress lines are parsed, the newest wins")
    func serial() {
        let text = "dirtyring-guest: up\r\ndirtyring-guest: t=1 achieved=99.5 MiB/s pages=25472\r\n"
            + "dirtyring-guest: t=2 achieved=100.3 MiB/s pages=25676\r\n"
        #expect(GuestSerial.latest(text: text)?.second == 2)
        #expect(GuestSerial.latest(text: text)?.megabytesPerSecond == 100.3)
        #expect(GuestSerial.latest(text: "garbage") == nil)
    }

    @Test("auto picks the ring only where the selftest passed")
    func modeChoice() throws {
        let passed = RingSelftest(state: .passed)
        let failed = RingSelftest(state: .failed, evidence: "vCPU 0")
        #expect(try ModeChoice.choose(requested: .auto, domain: "d", ringSize: 4096, selftest: passed) == .dirtyRing)
        #expect(try ModeChoice.choose(requested: .auto, domain: "d", ringSize: 4096, selftest: .unknown) == .pageSampling)
        #expect(try ModeChoice.choose(requested: .auto, domain: "d", ringSize: 4096, selftest: failed) == .pageSampling)
        #expect(try ModeChoice.choose(requested: .auto, domain: "d", ringSize: 0, selftest: failed) == .dirtyBitmap)
        #expect(throws: DirtyRingError.self) { try ModeChoice.choose(requested: .dirtyRing, domain: "d", ringSize: 0, selftest: passed) }
        #expect(throws: DirtyRingError.self) { try ModeChoice.choose(requested: .dirtyRing, domain: "d", ringSize: 4096, selftest: failed) }
        #expect(throws: DirtyRingError.self) { try ModeChoice.choose(requested: .dirtyBitmap, domain: "d", ringSize: 4096, selftest: passed) }
    }

    @Test("a vCPU bouncing to user space is a stall; a halted or guest-running one is not")
    func stallRule() {
        func time(_ user: UInt64, _ system: UInt64) -> VCPUThreadTime {
            VCPUThreadTime(userNanoseconds: user * 10_000_000, systemNanoseconds: system * 10_000_000)
        }
        func observe(_ base: (UInt64, UInt64), _ after: (UInt64, UInt64), running: Bool = true) -> StallDetector.Observation {
            .init(vcpu: 0, running: running, baselineStart: time(0, 0), baselineEnd: time(base.0, base.1),
                  atResult: time(0, 0), afterWindow: time(after.0, after.1),
                  libvirtTimeAtResult: 0, libvirtTimeAfterWindow: 0)
        }
        let detector = StallDetector()
        #expect(detector.stall(observe((0, 15), (4, 22)), windowSeconds: 1) != nil)  // this host's livelock
        #expect(detector.stall(observe((0, 15), (0, 30)), windowSeconds: 1) == nil)  // runs its guest
        #expect(detector.stall(observe((0, 0), (0, 0)), windowSeconds: 1) == nil)    // halted (idle)
        #expect(detector.stall(observe((4, 11), (4, 22)), windowSeconds: 1) == nil)  // always exits this much
        #expect(detector.stall(observe((0, 15), (4, 22), running: false), windowSeconds: 1) == nil)
    }
}
