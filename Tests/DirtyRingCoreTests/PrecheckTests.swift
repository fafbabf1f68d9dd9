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

    static func decide(_ action: PrecheckAction, rate: Double, deadline: Double = 1600) throws -> PrecheckDecision.Result {
        try PrecheckDecision.decide(PrecheckDecision.Request(
            action: action, measurement: measurement(rate: rate), bandwidthMegabytesPerSecond: 100,
            maxDowntimeMilliseconds: 500, deadlineSeconds: deadline))
    }

    @Test(arguments: PrecheckAction.allCases)
    func convergingIsAcceptedWhateverTheAction(_ action: PrecheckAction) throws {
        // 2048 MiB, D = 50, B = 100, B*T = 50 MiB: sends 2048, 1024, 512, 256, 128, 64, then 32 is
        // the stop-and-copy: 6 rounds, (2048 + 1024 + 512 + 256 + 128 + 64 + 32) / 100 = 40.64 s,
        // downtime 320 ms.
        let result = try Self.decide(action, rate: 50)
        #expect(result.verdict == .accept)
        #expect(result.forecast.rounds == 6 && result.forecast.totalSeconds == 40.64)
        #expect(result.reason == "guest instance-00000001 dirties 50.0 MiB/s (measured over 1 s, dirty-bitmap) "
            + "against 100.0 MiB/s of bandwidth: a pre-copy migration of 2048 MiB converges in about 41 s "
            + "in 6 rounds with 320 ms downtime")
    }

    @Test(arguments: [(PrecheckAction.warn, PrecheckVerdict.accept), (.throttle, .throttle), (.reject, .reject)])
    func notConvergingFollowsTheAction(_ action: PrecheckAction, _ verdict: PrecheckVerdict) throws {
        let result = try Self.decide(action, rate: 120)
        #expect(result.verdict == verdict)
        #expect(!result.forecast.converges)
        let limit = try #require(result.forecast.limitMegabytesPerSecond)
        let reason = result.reason
        for part in ["instance-00000001", "120.0 MiB/s", "100.0 MiB/s", "over 1 s", "dirty-bitmap", "2048 MiB",
                     "1600 s", "500 ms", "dirty-rate limit of \(ForecastText.limit(limit))",
                     "[libvirt] live_migration_bandwidth", "[libvirt] live_migration_downtime"] {
            #expect(reason.contains(part), "\(part) not in \(reason)")
        }
        #expect(!reason.contains("\n"))
        #expect(reason.hasSuffix(["; migrating anyway (action warn): it may be aborted at the deadline",
                                  "; migrating with the dirty rate limited to \(ForecastText.limit(limit))",
                                  "; migration refused (action reject)"][PrecheckAction.allCases.firstIndex(of: action) ?? 0]))
    }

    @Test func noLimitHelpsPastTheFloor() throws {
        // 2048 MiB at 100 MiB/s takes 20.48 s at least: a 10 s deadline cannot be met.
        let result = try Self.decide(.throttle, rate: 120, deadline: 10)
        #expect(result.verdict == .throttle && result.forecast.limitMegabytesPerSecond == nil)
        #expect(result.reason.contains("even if the guest stopped writing: copying its memory once takes 20 s"))
        #expect(result.reason.contains("live_migration_completion_timeout"))
        #expect(result.reason.hasSuffix("no dirty-rate limit is enough"))
    }

    @Test func invalidMeasurementIsNamed() throws {
        let json = #"""
        {"action": "reject", "bandwidth_megabytes_per_second": 100, "max_downtime_ms": 500, "deadline_seconds": 10,
         "measurement": {"domain": "d", "uuid": "u", "mode": "dirty-ring", "period_seconds": 1,
           "megabytes_per_second": -3, "vcpu_megabytes_per_second": [], "memory_mib": 1024, "vcpus": 1,
           "ring_size": 4096, "measured_at": "2026-11-28T04:24:19Z"}}
        """#
        let error = try #require(Fixture.response(ABIRequests.precheckDecide(json: json))?.error)
        #expect(error.kind == .invalidRequest && error.message.contains("measurement.megabytes_per_second"))
        let badAction = try #require(Fixture.response(ABIRequests.precheckDecide(json: json.replacingOccurrences(of: "\"reject\"", with: "\"abort\"")))?.error)
        #expect(badAction.kind == .invalidRequest && badAction.message.contains("action"))
        let badBandwidth = try #require(Fixture.response(ABIRequests.precheckDecide(
            json: json.replacingOccurrences(of: "-3", with: "3").replacingOccurrences(of: ": 100,", with: ": 0,")))?.error)
        #expect(badBandwidth.message.contains("bandwidth_megabytes_per_second"), "\(badBandwidth)")
    }

    @Test func throughJSON() throws {
        let request = #"""
        {"action": "reject", "bandwidth_megabytes_per_second": 100, "max_downtime_ms": 500, "deadline_seconds": 1600,
         "measurement": \#(Fixture.json(Self.measurement(rate: 120)))}
        """#
        let response = try #require(Fixture.response(ABIRequests.precheckDecide(json: request)))
        guard case .object(let ok)? = response.ok else {
            Issue.record("not ok: \(String(describing: response.error))")
            return
        }
        #expect(ok["verdict"] == .string("reject"))
    }
}
