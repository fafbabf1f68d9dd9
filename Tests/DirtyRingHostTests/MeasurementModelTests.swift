import DirtyRingCore
@testable import DirtyRingHost
import HostKVM
import Testing

/// The pure parts of measurement: the canary's XML, the serial parser, the stall rule.
@Suite("Measurement building blocks")
struct MeasurementModelTests {
    @Test("the canary XML carries the ring, the kernel, its rate, its memory and the serial file")
    func canaryXML() throws {
        let canary = CanaryDomain(
            name: "c1", kernelPath: "/k/guest.elf", serialPath: "/s/c1 <x>.log", ringSize: 8192, workingSetMiB: 250,
            rateMiBPerSecond: 100)
        #expect(try DomainXML.dirtyRingSize(domainXML: canary.xml) == 8192)
        #expect(canary.xml.contains("<kernel>/k/guest.elf</kernel>"))
        #expect(canary.xml.contains("<cmdline>mb=250 rate=100</cmdline>"))
        #expect(canary.xml.contains("<memory unit='MiB'>314</memory>"))
        #expect(canary.xml.contains("/s/c1 &lt;x&gt;.log"))
    }

    @Test("the fast counting canary fills the ring at least four times a period, whatever its size")
    func countingRates() {
        for size in RingSize.allowedValues.map(\.entries) {
            let rates = HostContext.countingRates(ringSize: size)
            #expect(rates.first == 10 && rates.count == 2)
            let fills = Double((rates.last ?? 0) * 256 * HostContext.countingPeriodSeconds) / Double(size)
            #expect(fills >= 4, "ring \(size): \(rates)")
        }
        #expect(HostContext.countingRates(ringSize: 4096) == [10, 100])
        #expect(HostContext.countingRates(ringSize: 65536) == [10, 520])
    }

    @Test("the guest's progress lines are parsed, the newest wins")
    func serial() {
        let text = "dirtyring-guest: up\r\ndirtyring-guest: t=1 achieved=99.5 MiB/s pages=25472\r\n"
            + "dirtyring-guest: t=2 achieved=100.3 MiB/s pages=25676\r\n"
        #expect(GuestSerial.latest(text: text)?.second == 2)
        #expect(GuestSerial.latest(text: text)?.megabytesPerSecond == 100.3)
        #expect(GuestSerial.latest(text: "garbage") == nil)
    }

    @Test("the guest's progress lines are all read, in order")
    func serialProgress() throws {
        let path = try temporaryStateDirectory() + "/serial.log"
        try ("dirtyring-guest: up\r\ndirtyring-guest: t=1 achieved=9.9 MiB/s pages=2534\r\n"
            + "noise t=7\r\ndirtyring-guest: t=2 achieved=10.1 MiB/s pages=2585 stale=0\r\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(GuestSerial.progress(path: path).map(\.second) == [1, 2])
        #expect(GuestSerial.progress(path: path).map(\.megabytesPerSecond) == [9.9, 10.1])
        #expect(GuestSerial.progress(path: path + ".missing").isEmpty)
    }

    @Test("the ring is read only where it is qualified; explicit ring reads are refused elsewhere")
    func modeChoice() throws {
        let passed = RingQualification(state: .passed)
        let failed = RingQualification(state: .failed, evidence: "counting failed: read 16.0 for 10.0 MiB/s")
        #expect(try ModeChoice.choose(requested: .auto, domain: "d", ringSize: 4096, qualification: passed) == .dirtyRing)
        #expect(try ModeChoice.choose(requested: .auto, domain: "d", ringSize: 4096, qualification: .unknown) == .pageSampling)
        #expect(try ModeChoice.choose(requested: .auto, domain: "d", ringSize: 4096, qualification: failed) == .pageSampling)
        #expect(try ModeChoice.choose(requested: .auto, domain: "d", ringSize: 0, qualification: failed) == .dirtyBitmap)
        #expect(throws: DirtyRingError.self) { try ModeChoice.choose(requested: .dirtyRing, domain: "d", ringSize: 0, qualification: passed) }
        let refusal = try #require(throws: DirtyRingError.self) {
            try ModeChoice.choose(requested: .dirtyRing, domain: "d", ringSize: 4096, qualification: failed)
        }
        #expect(refusal.kind == .unsupported)
        #expect(refusal.message.contains("read 16.0 for 10.0 MiB/s") && refusal.message.contains("dirtyring qualify"))
        #expect(throws: DirtyRingError.self) { try ModeChoice.choose(requested: .dirtyRing, domain: "d", ringSize: 4096, qualification: .unknown) }
        #expect(throws: DirtyRingError.self) { try ModeChoice.choose(requested: .dirtyBitmap, domain: "d", ringSize: 4096, qualification: passed) }
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
