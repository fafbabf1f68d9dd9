@testable import DirtyRingCore
import Testing

/// The pre-flight decision and the line an operator reads.
@Suite struct PrecheckTests {
    static func measurement(domain: String = "instance-00000001", rate: Double, memory: Int = 2048) -> DirtyRateMeasurement {
        DirtyRateMeasurement(
            domain: domain, uuid: "6f1d0b5e-6a8e-4d53-9a43-2b1f0b7a9c11", mode: .dirtyBitmap, periodSeconds: 1,
            megabytesPerSecond: rate, vcpuMegabytesPerSecond: [], memoryMiB: memory, vcpus: 2, ringSize: 0,
            measuredAt: "2026-11-28T04:24:19Z")
    }

    /// Nova with `live_migration_bandwidth = 100`, downtime 500 ms, 800 s per GiB: a 2048 MiB
    /// guest has 1600 s. `timeoutPerGiB` 0 gives the deadline `noTimeoutDeadline`.
    static func decide(
        _ action: PrecheckAction, rate: Double, timeoutPerGiB: Double = 800, noTimeoutDeadline: Double = 600
    ) throws -> PrecheckDecision.Result {
        try PrecheckDecision.decide(PrecheckDecision.Request(
            action: action, measurement: measurement(rate: rate),
            libvirt: NovaMigrationLimits(bandwidth: 100, maxDowntimeMilliseconds: 500, completionTimeoutPerGiB: timeoutPerGiB),
            assumedBandwidth: 1250, noTimeoutDeadlineSeconds: noTimeoutDeadline))
    }

    static let libvirtJSON = #""libvirt": {"live_migration_bandwidth": 100, "live_migration_downtime": 500, "live_migration_completion_timeout": 800}, "assumed_bandwidth_megabytes_per_second": 1250, "no_timeout_deadline_seconds": 600"#

    @Test(arguments: PrecheckAction.allCases)
    func convergingIsAcceptedWhateverTheAction(_ action: PrecheckAction) throws {
        // 2048 MiB, D = 50, B = 100, B*T = 50 MiB: sends 2048, 1024, 512, 256, 128, 64, then 32 is
        // the stop-and-copy: 6 rounds, (2048 + 1024 + 512 + 256 + 128 + 64 + 32) / 100 = 40.64 s,
        // downtime 320 ms.
        let result = try Self.decide(action, rate: 50)
        #expect(result.verdict == .accept)
        #expect(result.forecast.rounds == 6 && result.forecast.totalSeconds == 40.64)
        #expect(result.bounds == MigrationBounds(bandwidth: 100, maxDowntimeMilliseconds: 500, deadlineSeconds: 1600))
        #expect(result.reason == "converges in about 41 s in 6 rounds, 320 ms downtime: "
            + "dirties 50.0 MiB/s (dirty-bitmap, 1 s), link 100.0 MiB/s, 2048 MiB")
    }

    @Test("a page-sampling reading is called an estimate in the reason")
    func estimateSaidSo() throws {
        var sampled = Self.measurement(rate: 0)
        sampled.mode = .pageSampling
        let result = try PrecheckDecision.decide(PrecheckDecision.Request(
            action: .warn, measurement: sampled,
            libvirt: NovaMigrationLimits(bandwidth: 100, maxDowntimeMilliseconds: 500, completionTimeoutPerGiB: 800),
            assumedBandwidth: 1250, noTimeoutDeadlineSeconds: 600))
        #expect(result.reason.hasSuffix("dirties 0.0 MiB/s (page-sampling, an estimate, 1 s), link 100.0 MiB/s, 2048 MiB"))
    }

    @Test(arguments: [(PrecheckAction.warn, PrecheckVerdict.accept), (.throttle, .throttle), (.reject, .reject)])
    func notConvergingFollowsTheAction(_ action: PrecheckAction, _ verdict: PrecheckVerdict) throws {
        let result = try Self.decide(action, rate: 120)
        #expect(result.verdict == verdict)
        #expect(!result.forecast.converges)
        let limit = try #require(result.forecast.limitMegabytesPerSecond)
        let reason = result.reason
        #expect(reason == "would not converge in 1600 s: dirties 120.0 MiB/s (dirty-bitmap, 1 s), "
            + "link 100.0 MiB/s, 2048 MiB, downtime 500 ms; passes with dirty-rate limit "
            + "\(ForecastText.limit(limit)) or more live_migration_bandwidth/_downtime"
            + ["; migrating anyway (warn)", "; migrating throttled (throttle)",
               "; refused (reject)"][PrecheckAction.allCases.firstIndex(of: action) ?? 0])
        // A refusal is shown in full in the instance action event.
        #expect(action != .reject || Self.eventDetailsPrefix.count + reason.count <= 255, "\(reason.count) characters")
    }

    /// Nova keeps 255 characters of an instance action event's details, which start with this.
    static let eventDetailsPrefix = "Migration pre-check error: "

    @Test func largeGuestRefusalFitsNovaEventDetails() throws {
        // A 512 GiB guest writing 12345.6 MiB/s over a 125 MiB/s link, 1 h per GiB.
        let result = try PrecheckDecision.decide(PrecheckDecision.Request(
            action: .reject, measurement: Self.measurement(rate: 12345.6, memory: 524_288),
            libvirt: NovaMigrationLimits(bandwidth: 125, maxDowntimeMilliseconds: 12000, completionTimeoutPerGiB: 3600),
            assumedBandwidth: 1250, noTimeoutDeadlineSeconds: 600))
        #expect(!result.forecast.converges)
        #expect(Self.eventDetailsPrefix.count + result.reason.count <= 255, "\(result.reason.count): \(result.reason)")
    }

    @Test func noLimitHelpsPastTheFloor() throws {
        // No completion timeout: the 10 s deadline given for that case. 2048 MiB at 100 MiB/s
        // takes 20.48 s at least, so it cannot be met.
        let result = try Self.decide(.throttle, rate: 120, timeoutPerGiB: 0, noTimeoutDeadline: 10)
        #expect(result.bounds.deadlineSeconds == 10)
        #expect(result.verdict == .throttle && result.forecast.limitMegabytesPerSecond == nil)
        #expect(result.reason.contains("in 10 s"))
        #expect(result.reason.contains("even idle, one copy takes 20 s"))
        #expect(result.reason.contains("_completion_timeout"))
        #expect(result.reason.hasSuffix("no limit helps (throttle)"))
    }

    @Test func invalidMeasurementIsNamed() throws {
        let json = #"""
        {"action": "reject", \#(Self.libvirtJSON),
         "measurement": {"domain": "d", "uuid": "u", "mode": "dirty-ring", "period_seconds": 1,
           "megabytes_per_second": -3, "vcpu_megabytes_per_second": [], "memory_mib": 1024, "vcpus": 1,
           "ring_size": 4096, "measured_at": "2026-11-28T04:24:19Z"}}
        """#
        let error = try #require(Fixture.response(ABIRequests.precheckDecide(json: json))?.error)
        #expect(error.kind == .invalidRequest && error.message.contains("measurement.megabytes_per_second"))
        let badAction = try #require(Fixture.response(ABIRequests.precheckDecide(json: json.replacingOccurrences(of: "\"reject\"", with: "\"abort\"")))?.error)
        #expect(badAction.kind == .invalidRequest && badAction.message.contains("action"))
        let badBandwidth = try #require(Fixture.response(ABIRequests.precheckDecide(
            json: json.replacingOccurrences(of: "-3", with: "3").replacingOccurrences(of: ": 1250,", with: ": -1,")
                .replacingOccurrences(of: "_bandwidth\": 100", with: "_bandwidth\": 0")))?.error)
        #expect(badBandwidth.message.contains("assumed_bandwidth_megabytes_per_second"), "\(badBandwidth)")
    }

    @Test func throughJSON() throws {
        let request = #"""
        {"action": "reject", \#(Self.libvirtJSON),
         "measurement": \#(Fixture.json(Self.measurement(rate: 120)))}
        """#
        let response = try #require(Fixture.response(ABIRequests.precheckDecide(json: request)))
        guard case .object(let ok)? = response.ok else {
            Issue.record("not ok: \(String(describing: response.error))")
            return
        }
        #expect(ok["verdict"] == .string("reject"))
        #expect(ok["bounds"] == .object([
            "bandwidth_megabytes_per_second": .integer(100), "max_downtime_ms": .integer(500),
            "deadline_seconds": .integer(1600)]))
    }
}
