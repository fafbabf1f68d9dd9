import DirtyRingCore
import DirtyRingHost
import Foundation
import LibvirtClient
import Testing

/// Dirty-rate measurement against the real libvirtd and real test guests. Fails (never skips)
/// when libvirtd or KVM is unavailable: opening the context or booting a guest throws.
@Suite("Dirty-rate measurement on real guests", .serialized)
struct MeasurementTests {
    static let suffix = String(UInt32.random(in: 0..<100_000))

    @Test("bitmap readings match the guests' own rates, several guests take one period, errors are typed")
    func bitmapAccuracyConcurrencyAndErrors() throws {
        let guests = try TestGuest.start([
            ("dr-m25-\(Self.suffix)", ["--mb", "512", "--rate", "25"]),
            ("dr-m100-\(Self.suffix)", ["--mb", "512", "--rate", "100"]),
        ])
        defer { guests.forEach { $0.destroy() } }
        let (slow, fast) = (guests[0], guests[1])
        let context = try HostContext.open(ContextConfiguration(stateDir: try temporaryStateDirectory()))
        guests.forEach { $0.waitForProgress(seconds: 2, timeout: 20) }

        // Both at once, in request order, with an unknown domain among them.
        let recorders = guests.map { SerialRecorder(path: $0.serialPath) }
        recorders.forEach { $0.start() }
        defer { recorders.forEach { $0.stop() } }
        guests.forEach { $0.waitForProgress(seconds: 2, timeout: 10) }
        let start = Date()
        let results = try context.measure(
            domains: [slow.name, "no-such-domain-\(Self.suffix)", fast.name], seconds: 2, mode: .dirtyBitmap)
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed < 2 * 2 + 1.5, "measuring three domains over 2 s took \(elapsed) s")
        try #require(results.count == 3)
        let missing = try #require(throws: DirtyRingError.self) { try results[1].get() }
        #expect(missing.kind == .noDomain)
        #expect(missing.message.contains("no-such-domain-\(Self.suffix)"))

        for (position, (guest, result)) in [(slow, results[0]), (fast, results[2])].enumerated() {
            let reading = try result.get()
            // The guest's own rate over the same 2 s of host time, from when its lines appeared.
            let windowStart = start.addingTimeInterval(0.05)
            let windowEnd = windowStart.addingTimeInterval(2)
            recorders[position].waitForLine(after: windowEnd.addingTimeInterval(0.5))
            let truth = try #require(recorders[position].rate(from: windowStart, to: windowEnd))
            print("bitmap: \(guest.name) read \(reading.megabytesPerSecond) MiB/s, guest reports \(truth) MiB/s")
            #expect(reading.mode == .dirtyBitmap)
            #expect(reading.periodSeconds == 2)
            #expect(reading.ringSize == 0)
            #expect(reading.vcpus == 1)
            #expect(reading.memoryMiB == 576)
            #expect(reading.vcpuMegabytesPerSecond.isEmpty)
            #expect(within(reading.megabytesPerSecond, of: truth), "\(guest.name): \(reading.megabytesPerSecond) vs \(truth)")
        }

        // auto on guests without the ring is the bitmap; page sampling is an estimate.
        let auto = try context.measure(domains: [fast.name], seconds: 1, mode: .auto)
        #expect(try auto.first?.get().mode == .dirtyBitmap)
        let sampled = try context.measure(domains: [slow.name, fast.name], seconds: 1, mode: .pageSampling)
        for (guest, result) in zip([slow, fast], sampled) {
            let reading = try result.get()
            print("page-sampling: \(guest.name) read \(reading.megabytesPerSecond) MiB/s")
            #expect(reading.mode == .pageSampling)
        }

        // A calculation already running: busy.
        let connection = try Connection(uri: ContextConfiguration.defaultLibvirtURI)
        try connection.domain(named: slow.name).startDirtyRateCalc(seconds: 3, mode: .dirtyBitmap)
        let busy = try context.measure(domains: [slow.name], seconds: 1, mode: .dirtyBitmap)
        let busyError = try #require(throws: DirtyRingError.self) { try busy.first?.get() }
        #expect(busyError.kind == .busy)
        #expect(busyError.message.contains(slow.name))

        // The UUID names a domain too.
        let uuid = try connection.domain(named: fast.name).uuid()
        Thread.sleep(forTimeInterval: 0.1)
        let byUUID = try context.measure(domains: [uuid], seconds: 1, mode: .dirtyBitmap)
        #expect(try byUUID.first?.get().domain == fast.name)
    }

    @Test("ring reads wait for a qualification; a stall after one is caught, recorded and contained; any host")
    func ringQualificationGatesReads() throws {
        let guests = try TestGuest.start([
            ("dr-mring-\(Self.suffix)", ["--mb", "64", "--rate", "0", "--ring", "4096"]),
            ("dr-mbig-\(Self.suffix)", ["--mb", "256", "--rate", "50", "--ring", "65536"]),
        ])
        defer { guests.forEach { $0.destroy() } }
        let (ring, bigRing) = (guests[0], guests[1])
        let stateDirectory = try temporaryStateDirectory()
        let store = QualificationStore(directory: stateDirectory)
        let context = try HostContext.open(ContextConfiguration(stateDir: stateDirectory))
        let host = try context.probe()
        #expect(host.dirtyRing.qualification.state == .unknown)
        guests.forEach { $0.waitForProgress(seconds: 2, timeout: 20) }

        // The bitmap does not exist for a ring guest.
        let bitmap = try context.measure(domains: [ring.name], seconds: 1, mode: .dirtyBitmap)
        let unsupported = try #require(throws: DirtyRingError.self) { try bitmap.first?.get() }
        #expect(unsupported.kind == .unsupported)
        #expect(unsupported.message.contains(ring.name))

        // Not qualified: auto estimates by page sampling, an explicit ring read is refused.
        #expect(try context.measure(domains: [ring.name], seconds: 1, mode: .auto).first?.get().mode == .pageSampling)
        let unqualified = try context.measure(domains: [ring.name], seconds: 1, mode: .dirtyRing)
        let refusal = try #require(throws: DirtyRingError.self) { try unqualified.first?.get() }
        #expect(refusal.kind == .unsupported)
        #expect(refusal.message.contains("dirtyring qualify"))

        // Qualified (a verdict of the test's, for this host's facts): the ring is read. A reading
        // reported as a stall must be one (the guest's own clock stopped); the vCPU-time detector
        // cannot see every stall (on the AMD kvm_pvm host a stopped vCPU spins on its CPU like a
        // running one: on-CPU time 100 % before and after, user time 0), which is why only the
        // qualification's canaries, whose clock is read, decide whether the ring is used.
        for size in [4096, 65536] {
            try store.save(QualificationStoreTests.verdict(.passed, host.qualificationKey(ringSize: size)))
        }
        var stall: DirtyRingError?
        for round in 1...3 {
            let before = ring.latestProgress()?.second ?? 0
            let results = try context.measure(domains: [ring.name], seconds: 1, mode: .dirtyRing)
            switch try #require(results.first) {
            case .failure(let error):
                print("ring round \(round): \(error.message)")
                #expect(error.kind == .stall)
                stall = error
            case .success(let reading):
                #expect(reading.mode == .dirtyRing && reading.ringSize == 4096)
                ring.waitForProgress(seconds: 2, timeout: 6)
                let ran = (ring.latestProgress()?.second ?? 0) >= before + 2
                print("ring round \(round): read \(reading.megabytesPerSecond) MiB/s; no stall reported; the guest "
                    + (ran ? "ran on" : "stopped (a stall the vCPU times do not show)"))
            }
            if stall != nil { break }
        }
        let recorded = try context.probe().dirtyRing.qualification
        guard let stall else {
            #expect(recorded.state == .passed, "no stall reported, yet the verdict changed: \(recorded)")
            return
        }
        #expect(stall.message.contains(ring.name))
        // Ground truth: the guest's own clock stopped...
        let frozen = ring.latestProgress()?.second
        Thread.sleep(forTimeInterval: 3)
        #expect(ring.latestProgress()?.second == frozen, "the guest kept reporting after the stall")
        // ...the verdict of its ring size is failed (liveness) and contains the ring from then on...
        #expect(recorded.state == .failed)
        #expect(recorded.checks.first { $0.name == .liveness }?.state == .failed)
        #expect(recorded.evidence?.contains(ring.name) == true)
        #expect(try context.measure(domains: [ring.name], seconds: 1, mode: .auto).first?.get().mode == .pageSampling)
        // ...while the other size keeps its verdict and its guest is still read through the ring.
        #expect(try context.probe(ringSize: 65536).dirtyRing.qualification.state == .passed)
        let reading = try #require(try context.measure(domains: [bigRing.name], seconds: 1, mode: .auto).first).get()
        #expect(reading.mode == .dirtyRing && reading.ringSize == 65536)
    }
}
