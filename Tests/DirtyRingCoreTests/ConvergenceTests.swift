@testable import DirtyRingCore
import DirtyRingTestSupport
import Testing

@Suite("Convergence: the plan, the controller, the dirty-limit commands")
struct ConvergenceTests {
    static func inputs(
        _ strategy: ConvergeStrategy, ring: Int = 4096, qualification: RingQualification.State = .passed,
        qemu: Version? = Version(7, 2), nova: Bool = false, rate: Double? = 100, bandwidth: Double? = 40
    ) -> ConvergencePlan.Inputs {
        ConvergenceFixtures.inputs(strategy, ring: ring, qualification: qualification, qemu: qemu, nova: nova, rate: rate,
                                   bandwidth: bandwidth)
    }

    @Test("the dirty-limit needs the ring, a passed qualification and QEMU 7.1; otherwise the strategy decides")
    func plan() {
        #expect(ConvergencePlan.make(Self.inputs(.autoConverge)).method == .dirtyLimit)
        #expect(ConvergencePlan.make(Self.inputs(.forceComplete, qemu: Version(7, 1))).method == .dirtyLimit)
        for (inputs, obstacle) in [
            (Self.inputs(.autoConverge, ring: 0), "the guest has no dirty ring"),
            (Self.inputs(.autoConverge, qualification: .failed), "failed qualification"),
            (Self.inputs(.autoConverge, qualification: .unknown), "not qualified"),
            (Self.inputs(.autoConverge, qemu: Version(7, 0)), "QEMU 7.0.0 is older than 7.1.0"),
            (Self.inputs(.autoConverge, qemu: nil), "version is unknown"),
        ] {
            let plan = ConvergencePlan.make(inputs)
            #expect(plan.method == .autoConverge)
            #expect(plan.reason.contains(obstacle), "\(plan.reason)")
        }
        // 100 MiB/s over 40: a linear throttle of 80 % halves rho; QEMU's 20 % is the floor; a
        // second step goes to QEMU's 99 %.
        #expect(ConvergencePlan.make(Self.inputs(.autoConverge, ring: 0)).autoConverge
            == .init(initialPercent: 80, incrementPercent: 19))
        #expect(ConvergencePlan.make(Self.inputs(.autoConverge, ring: 0, rate: 30)).autoConverge
            == .init(initialPercent: 34, incrementPercent: 65))
        #expect(ConvergencePlan.make(Self.inputs(.autoConverge, ring: 0, rate: 10)).autoConverge
            == .init(initialPercent: 20, incrementPercent: 79))
        #expect(ConvergencePlan.make(Self.inputs(.autoConverge, ring: 0, rate: 100_000)).autoConverge
            == .init(initialPercent: 99, incrementPercent: 1))
        #expect(ConvergencePlan.make(Self.inputs(.autoConverge, ring: 0, rate: nil)).autoConverge
            == ConvergencePlan.qemuAutoConvergeDefaults)
        // Nova already enables it: nothing to add.
        let nova = ConvergencePlan.make(Self.inputs(.autoConverge, ring: 0, nova: true))
        #expect(nova.method == .autoConverge && nova.autoConverge == nil)
        #expect(ConvergencePlan.make(Self.inputs(.forceComplete, ring: 0)).method == .forceComplete)
        #expect(ConvergencePlan.make(Self.inputs(.forceComplete, ring: 0)).autoConverge == nil)
        #expect(ConvergencePlan.make(Self.inputs(.dirtyLimitOnly, ring: 0)).method == .none)
    }

    static let bounds = MigrationBounds(bandwidth: 40, maxDowntimeMilliseconds: 500, deadlineSeconds: 300)

    static func reading(
        at seconds: Double, round: Int, remaining: Double, dirty: Double = 100, bandwidth: Double = 40, throttle: Int = 0
    ) -> MigrationProgress {
        ConvergenceFixtures.reading(at: seconds, round: round, remaining: remaining, dirty: dirty, bandwidth: bandwidth,
                                    throttle: throttle)
    }

    @Test("dirty-limit: set at the forecast's largest rate per vCPU after round 1, halved after settling, never below 1")
    func dirtyLimit() throws {
        let plan = ConvergencePlan.make(Self.inputs(.autoConverge))
        var controller = ConvergenceController(plan: plan, bounds: Self.bounds, vcpus: 2)
        // Round 1 (the full copy) is never judged.
        #expect(controller.observe(Self.reading(at: 10, round: 1, remaining: 700)).isEmpty)
        let events = controller.observe(Self.reading(at: 26, round: 2, remaining: 256))
        let parameters = try ForecastParameters(
            memoryMiB: 256, dirtyRate: 100, bandwidth: 40, maxDowntimeMilliseconds: 500, deadlineSeconds: 274)
        let total = try #require(ForecastLimit.largest(for: parameters))
        let expected = Int((total / 2).rounded(.down))
        try #require(events.count == 1)
        guard case .setDirtyLimit(let limit, let reason) = events[0] else {
            Issue.record("expected a dirty-limit, got \(events)")
            return
        }
        #expect(limit == expected && limit >= 1)
        #expect(reason.contains("256 MiB left in round 2") && reason.contains("2 vCPUs"), "\(reason)")
        #expect(controller.dirtyLimit == expected)
        // Within the settling time nothing changes, whatever the reading.
        #expect(controller.observe(Self.reading(at: 29, round: 3, remaining: 256)).isEmpty)
        // Still not converging once settled: halved.
        let second = controller.observe(Self.reading(at: 32, round: 4, remaining: 256))
        #expect(second.map(\.limitValue) == [max(1, expected / 2)])
        // A reading that converges changes nothing.
        #expect(controller.observe(Self.reading(at: 40, round: 5, remaining: 10, dirty: 5)).isEmpty)
        // Down to the minimum, then told once that nothing more can be done.
        var now = 40.0
        var told = 0
        for _ in 0..<20 {
            now += 6
            for event in controller.observe(Self.reading(at: now, round: 6, remaining: 256)) {
                if case .notConverging = event { told += 1 }
            }
        }
        #expect(controller.dirtyLimit == ConvergenceController.minimumLimit)
        #expect(told == 1)
    }

    @Test("a link too slow even for an idle guest: no limit, told once")
    func unreachable() {
        var controller = ConvergenceController(
            plan: ConvergencePlan.make(Self.inputs(.autoConverge)),
            bounds: MigrationBounds(bandwidth: 1, maxDowntimeMilliseconds: 500, deadlineSeconds: 60), vcpus: 1)
        let first = controller.observe(Self.reading(at: 10, round: 2, remaining: 500, bandwidth: 1))
        #expect(first.count == 1 && first.allSatisfy { if case .notConverging = $0 { true } else { false } })
        #expect(controller.observe(Self.reading(at: 20, round: 3, remaining: 500, bandwidth: 1)).isEmpty)
        #expect(controller.dirtyLimit == nil)
    }

    @Test("force-complete is asked for once; auto-converge is only observed")
    func fallbacks() {
        var force = ConvergenceController(
            plan: ConvergencePlan.make(Self.inputs(.forceComplete, ring: 0)), bounds: Self.bounds, vcpus: 1)
        #expect(force.observe(Self.reading(at: 20, round: 1, remaining: 600)).isEmpty)
        let events = force.observe(Self.reading(at: 26, round: 2, remaining: 256))
        #expect(events.count == 1)
        if case .forceComplete(let reason)? = events.first {
            #expect(reason.contains("pauses"), "\(reason)")
        } else {
            Issue.record("expected force-complete, got \(events)")
        }
        #expect(force.observe(Self.reading(at: 40, round: 3, remaining: 256)).isEmpty)
        #expect(force.forceCompleteRequested)

        var auto = ConvergenceController(
            plan: ConvergencePlan.make(Self.inputs(.autoConverge, ring: 0)), bounds: Self.bounds, vcpus: 1)
        #expect(auto.observe(Self.reading(at: 20, round: 2, remaining: 256, throttle: 0)).count == 1)  // told once
        #expect(auto.observe(Self.reading(at: 30, round: 3, remaining: 256, throttle: 80))
            == [.autoConvergeThrottle(percent: 80)])
        #expect(auto.observe(Self.reading(at: 31, round: 3, remaining: 256, throttle: 80)).isEmpty)
        #expect(auto.observe(Self.reading(at: 40, round: 4, remaining: 256, throttle: 90))
            == [.autoConvergeThrottle(percent: 90)])
        #expect(auto.dirtyLimit == nil && !auto.forceCompleteRequested)

        // A migration that converges needs nothing.
        var calm = ConvergenceController(
            plan: ConvergencePlan.make(Self.inputs(.forceComplete)), bounds: Self.bounds, vcpus: 1)
        #expect(calm.observe(Self.reading(at: 26, round: 2, remaining: 40, dirty: 10)).isEmpty)
    }

    @Test("the fallback after a method without effect: only what can act mid-migration, within the strategy")
    func fallbackOrder() {
        let cases: [(ConvergencePlan.Inputs, ThrottleMethod, ThrottleMethod, String)] = [
            (Self.inputs(.forceComplete), .dirtyLimit, .forceComplete, "Nova can force"),
            (Self.inputs(.autoConverge), .dirtyLimit, .none, "only be enabled when the migration starts"),
            (Self.inputs(.dirtyLimitOnly), .dirtyLimit, .none, "dirty-limit-only has no other method"),
            (Self.inputs(.autoConverge, ring: 0), .autoConverge, .none, "force-complete would pause the guest"),
            (Self.inputs(.forceComplete, ring: 0), .forceComplete, .none, "no method follows force-complete"),
            (Self.inputs(.dirtyLimitOnly, ring: 0), .none, .none, "no method follows none"),
        ]
        for (inputs, method, fallback, why) in cases {
            let plan = ConvergencePlan.make(inputs)
            #expect(plan.method == method && plan.fallback == fallback, "\(inputs.strategy): \(plan)")
            #expect(plan.fallbackReason.contains(why), "\(plan.fallbackReason)")
        }
    }

    @Test("response window: a 10 % fall of the dirty rate in a later round; ends after 10 s and two rounds, or 60 s")
    func responseWindow() {
        let window = ResponseWindow(method: .dirtyLimit, at: Self.reading(at: 26, round: 2, remaining: 256, dirty: 80))
        // The same round cannot show the throttle yet, whatever its rate.
        #expect(window.judge(Self.reading(at: 27, round: 2, remaining: 200, dirty: 10)) == .pending)
        #expect(window.judge(Self.reading(at: 28, round: 3, remaining: 256, dirty: 72)) == .responded)
        #expect(window.judge(Self.reading(at: 28, round: 3, remaining: 256, dirty: 72.5)) == .pending)
        // 10 s are not enough without two rounds, nor two rounds without 10 s.
        #expect(window.judge(Self.reading(at: 40, round: 3, remaining: 256, dirty: 79)) == .pending)
        #expect(window.judge(Self.reading(at: 35.9, round: 4, remaining: 256, dirty: 79)) == .pending)
        #expect(window.judge(Self.reading(at: 36, round: 4, remaining: 256, dirty: 79))
            == .noEffect(seconds: 10, rateAtAction: 80, rateNow: 79))
        // Rounds too long to wait for: 60 s at most.
        #expect(window.judge(Self.reading(at: 85.9, round: 3, remaining: 256, dirty: 80)) == .pending)
        #expect(window.judge(Self.reading(at: 86, round: 3, remaining: 256, dirty: 80))
            == .noEffect(seconds: 60, rateAtAction: 80, rateNow: 80))
    }

    /// The readings of a guest that keeps dirtying `rates` (one per reading) under a dirty-limit:
    /// round 1, then round 2 at 26 s (the limit is set), round 3 at 31 s (halved), round 3 at
    /// 36.5 s (10.5 s: one round short), round 4 at 38 s (12 s and two rounds: the window ends).
    static func limitedReadings(_ rates: [Double]) -> [MigrationProgress] {
        [Self.reading(at: 10, round: 1, remaining: 700)]
            + zip([(26.0, 2), (31, 3), (36.5, 3), (38, 4), (45, 5), (52, 6)], rates).map {
                Self.reading(at: $0.0.0, round: $0.0.1, remaining: 256, dirty: $0.1)
            }
    }

    @Test("a dirty-limit without effect (80 -> 79 MiB/s) is dropped for force-complete when its window ends")
    func dirtyLimitWithoutEffect() throws {
        let plan = ConvergencePlan.make(Self.inputs(.forceComplete))
        var controller = ConvergenceController(plan: plan, bounds: Self.bounds, vcpus: 2)
        let events = Self.limitedReadings([80, 79, 79, 79, 79, 79]).map { controller.observe($0) }
        // Set, halved, halved again while the window runs: no fallback before it ends.
        #expect(events[0].isEmpty)
        #expect(events[1...3].allSatisfy { $0.count == 1 && $0[0].limitValue != nil }, "\(events)")
        let first = try #require(events[1].first?.limitValue)
        let last = try #require(events[3].first?.limitValue)
        #expect(last < first)
        try #require(events[4].count == 2, "\(events[4])")
        guard case .ineffective(let method, let next, let reason) = events[4][0] else {
            Issue.record("expected the fallback, got \(events[4])")
            return
        }
        #expect(method == .dirtyLimit && next == .forceComplete)
        #expect(reason.hasPrefix("dirty-limit \(first), lowered to \(last), MiB/s per vCPU had no effect within 12 s: "
            + "dirty rate 80.0 MiB/s -> 79.0 MiB/s; moving to force-complete"), "\(reason)")
        // The next method acts from the same reading on.
        if case .forceComplete = events[4][1] {} else { Issue.record("expected force-complete, got \(events[4])") }
        #expect(controller.method == .forceComplete && controller.dirtyLimit == nil)
        #expect(controller.forceCompleteRequested)
        #expect(events[5].isEmpty && events[6].isEmpty)
    }

    @Test("a dirty-limit that bites (80 -> 60 MiB/s) is kept and lowered; no fallback")
    func dirtyLimitWithEffect() {
        var controller = ConvergenceController(
            plan: ConvergencePlan.make(Self.inputs(.forceComplete)), bounds: Self.bounds, vcpus: 2)
        let events = Self.limitedReadings([80, 60, 60, 60, 60, 60]).flatMap { controller.observe($0) }
        #expect(!events.contains { if case .ineffective = $0 { true } else { false } }, "\(events)")
        #expect(!events.contains { if case .forceComplete = $0 { true } else { false } }, "\(events)")
        #expect(events.filter { $0.limitValue != nil }.count >= 4)
        #expect(controller.method == .dirtyLimit && controller.dirtyLimit != nil)
    }

    @Test("no fallback in converge_strategy: the dirty-limit without effect is lifted and told once, then nothing",
          arguments: [ConvergeStrategy.autoConverge, .dirtyLimitOnly])
    func dirtyLimitWithoutEffectNoFallback(strategy: ConvergeStrategy) {
        let plan = ConvergencePlan.make(Self.inputs(strategy))
        var controller = ConvergenceController(plan: plan, bounds: Self.bounds, vcpus: 2)
        let events = Self.limitedReadings([80, 80, 80, 80, 80, 80]).map { controller.observe($0) }
        guard events[4].count == 1, case .ineffective(.dirtyLimit, .none, let reason) = events[4][0] else {
            Issue.record("expected the dirty-limit dropped for none, got \(events)")
            return
        }
        #expect(reason.contains("had no effect within 12 s: dirty rate 80.0 MiB/s -> 80.0 MiB/s; "
            + "no further throttle (\(plan.fallbackReason))"), "\(reason)")
        #expect(events[5].isEmpty && events[6].isEmpty)
        #expect(controller.method == ThrottleMethod.none && controller.dirtyLimit == nil)
    }

    @Test("auto-converge: QEMU's throttle rises but the dirty rate does not fall -> told once; falls -> nothing")
    func autoConvergeWithoutEffect() {
        func run(_ rates: [Double]) -> [[ConvergenceController.Event]] {
            var controller = ConvergenceController(
                plan: ConvergencePlan.make(Self.inputs(.autoConverge, ring: 0)), bounds: Self.bounds, vcpus: 1)
            return zip([(20.0, 2, 0), (30, 3, 80), (40, 4, 90), (41, 5, 90), (50, 6, 99)], rates).map {
                let ((seconds, round, percent), rate) = $0
                return controller.observe(
                    Self.reading(at: seconds, round: round, remaining: 256, dirty: rate, throttle: percent))
            }
        }
        let flat = run([100, 100, 99, 99, 99])
        #expect(flat[1] == [.autoConvergeThrottle(percent: 80)])
        #expect(flat[2] == [.autoConvergeThrottle(percent: 90)])  // 10 s, but one round short
        guard flat[3].count == 1, case .ineffective(.autoConverge, .none, let reason) = flat[3][0] else {
            Issue.record("expected auto-converge told without effect, got \(flat)")
            return
        }
        #expect(reason.hasPrefix("auto-converge at 90 % had no effect within 11 s: "
            + "dirty rate 100.0 MiB/s -> 99.0 MiB/s; no further throttle"), "\(reason)")
        #expect(flat[4] == [.autoConvergeThrottle(percent: 99)])
        let biting = run([100, 100, 70, 60, 50]).flatMap { $0 }
        #expect(!biting.contains { if case .ineffective = $0 { true } else { false } }, "\(biting)")
    }

    @Test("job statistics in libvirt's units become MiB and seconds; no memory figures, no reading")
    func progressFromJobFields() throws {
        let progress = try #require(MigrationProgress(jobFields: [
            "time_elapsed": 12_500, "memory_total": 1_073_741_824, "memory_processed": 536_870_912,
            "memory_remaining": 268_435_456, "memory_bps": 41_943_040, "memory_dirty_rate": 5_120,
            "memory_page_size": 4096, "memory_iteration": 3, "auto_converge_throttle": 40,
        ]))
        #expect(progress == MigrationProgress(
            elapsedSeconds: 12.5, memoryTotalMiB: 1024, memoryProcessedMiB: 512, memoryRemainingMiB: 256,
            bandwidthMiB: 40, dirtyRateMiB: 20, iteration: 3, autoConvergeThrottlePercent: 40))
        #expect(MigrationProgress(jobFields: ["time_elapsed": 10]) == nil)
        #expect(MigrationProgress(jobFields: ["memory_total": 1, "memory_remaining": .nan]) == nil)
        #expect(MigrationProgress(jobFields: ["memory_total": 1, "memory_remaining": 1, "auto_converge_throttle": 200]) == nil)
    }

    @Test("the exact QMP commands, and reading query-vcpu-dirty-limit's answers")
    func commands() throws {
        #expect(DirtyLimitCommands.set(megabytesPerSecond: 12)
            == #"{"execute": "set-vcpu-dirty-limit", "arguments": {"dirty-rate": 12}}"#)
        #expect(DirtyLimitCommands.cancel == #"{"execute": "cancel-vcpu-dirty-limit"}"#)
        #expect(DirtyLimitCommands.query == #"{"execute": "query-vcpu-dirty-limit"}"#)
        #expect(try DirtyLimitCommands.limits(inAnswer: #"{"return": [], "id": "libvirt-1"}"#).isEmpty)
        #expect(try DirtyLimitCommands.limits(inAnswer:
            #"{"return": [{"cpu-index": 0, "limit-rate": 12, "current-rate": 30}]}"#)
            == [.init(vcpu: 0, limitMegabytesPerSecond: 12, currentMegabytesPerSecond: 30)])
        let refused = #"{"error": {"class": "GenericError", "desc": "dirty page limit not supported"}}"#
        let error = try #require(throws: DirtyRingError.self) {
            try DirtyLimitCommands.checkAnswer(refused, to: "set-vcpu-dirty-limit")
        }
        #expect(error.kind == .libvirt && error.message.contains("dirty page limit not supported"))
        #expect(throws: DirtyRingError.self) { try DirtyLimitCommands.limits(inAnswer: "nonsense") }
        try DirtyLimitCommands.checkAnswer(#"{"return": {}}"#, to: "cancel-vcpu-dirty-limit")
    }

    @Test("throttle notices give the payloads of the oslo-generated samples")
    func notices() throws {
        let instance = MigrationWatchRequest.Instance(
            uuid: "6f3a1c2e-9b4d-4e8f-a1b2-c3d4e5f60718", tenantID: "8d2c4a1f0e9b4c7d8a6b5c4d3e2f1a0b",
            userID: "f1e2d3c4b5a697887766554433221100")
        var progress = Self.reading(at: 26.5, round: 2, remaining: 256)
        progress.bandwidthMiB = 40
        let start = ThrottleNotice.start(
            instance: instance, method: .dirtyLimit,
            reason: "256 MiB left in round 2, dirtying 100 MiB/s over 40 MiB/s: would not converge in the 1573.5 s "
                + "left; dirty-limit 12 MiB/s on each of 2 vCPUs",
            vcpus: 2, dirtyLimit: 12, autoConvergePercent: nil, progress: progress, deadlineSeconds: 1600)
        let end = ThrottleNotice.end(
            instance: instance, method: .dirtyLimit, result: "completed", durationSeconds: 42, removed: true,
            reason: "dirty-limit lifted (cancel-vcpu-dirty-limit), or gone with the source QEMU")
        for (event, request, name) in [(NotificationEvent.throttleStart, start, "throttle_start"),
                                       (.throttleEnd, end, "throttle_end")] {
            let data = try NotificationPayload.data(for: event, request: try OsloJSONParser.parse(request), host: "cmp-7")
            #expect(data.serialized == (try NotificationPayloadTests.fixture(name + ".unversioned")).serialized)
            #expect(NotificationFormat.versioned.payload(for: event, data: data)
                == (try NotificationPayloadTests.fixture(name + ".versioned")))
        }
    }
}

extension ConvergenceController.Event {
    var limitValue: Int? {
        if case .setDirtyLimit(let limit, _) = self { return limit }
        return nil
    }
}
