@testable import DirtyRingCore
@testable import DirtyRingHost
import DirtyRingTestSupport
import Foundation
import Synchronization
import Testing

/// A QMP channel that records each command and answers as scripted (by default as QEMU does
/// when all goes well).
final class RecordingQMP: QMPChannel, @unchecked Sendable {
    private let state = Mutex<(sent: [String], answers: [String: Result<String, DirtyRingError>])>(([], [:]))

    func answer(_ command: String, with result: Result<String, DirtyRingError>) {
        state.withLock { $0.answers[command] = result }
    }

    var sent: [String] { state.withLock { $0.sent } }

    func execute(_ command: String) throws(DirtyRingError) -> String {
        let result = state.withLock { state -> Result<String, DirtyRingError> in
            state.sent.append(command)
            let empty = command == DirtyLimitCommands.query ? #"{"return": []}"# : #"{"return": {}}"#
            return state.answers[command] ?? .success(empty)
        }
        return try result.get()
    }
}

/// A migration's readings played in order, one per call; nil (no migration) after the last.
final class ScriptedJob: MigrationJobSource, @unchecked Sendable {
    private let readings: Mutex<[MigrationProgress]>

    init(_ readings: [MigrationProgress]) {
        self.readings = Mutex(readings)
    }

    var left: Int { readings.withLock { $0.count } }

    func progress() throws(DirtyRingError) -> MigrationProgress? {
        readings.withLock { $0.isEmpty ? nil : $0.removeFirst() }
    }
}

/// The notifications a watch sends.
final class NoticeBox: @unchecked Sendable {
    private let requests = Mutex<[String]>([])
    var all: [String] { requests.withLock { $0 } }
    var sink: @Sendable (String) -> Void { { request in self.requests.withLock { $0.append(request) } } }
}

@Suite("Migration watch: the QMP commands, their order, and their removal", .serialized)
struct MigrationWatchTests {
    static let instance = MigrationWatchRequest.Instance(uuid: "0e4c7a52-29d5-4c1e-9d3b-5f0a6b7c8d9e", tenantID: "t", userID: "u")
    static let bounds = MigrationBounds(bandwidth: 40, maxDowntimeMilliseconds: 500, deadlineSeconds: 300)

    static func request(_ strategy: String = "auto-converge") throws -> MigrationWatchRequest {
        try ABIRequests.decode(MigrationWatchRequest.self, from: """
            {"instance": {"uuid": "\(instance.uuid)", "tenant_id": "t", "user_id": "u"}, "strategy": "\(strategy)",
             "ring_size": 4096, "libvirt": {"live_migration_bandwidth": 40, "live_migration_downtime": 500,
             "live_migration_completion_timeout": 800}, "assumed_bandwidth_megabytes_per_second": 1250,
             "no_timeout_deadline_seconds": 3600, "poll_seconds": 0.1}
            """)
    }

    /// Round 1, then rounds that do not converge 6 s apart (past the settling time), their dirty
    /// rate falling under the limit (100, 80, 60 MiB/s over 40) but not enough.
    static func readings() -> [MigrationProgress] {
        [ConvergenceFixtures.reading(at: 10, round: 1, remaining: 700)]
            + (0..<3).map {
                ConvergenceFixtures.reading(
                    at: 26 + 6 * Double($0), round: 2 + $0, remaining: 256, dirty: 100 - 20 * Double($0))
            }
    }

    /// A reading of a guest that keeps dirtying 80 MiB/s whatever the limit.
    static func flat(at seconds: Double, round: Int) -> MigrationProgress {
        ConvergenceFixtures.reading(at: seconds, round: round, remaining: 256, dirty: 80)
    }

    static func watch(
        plan: ConvergencePlan, job: ScriptedJob, qmp: RecordingQMP, journal: ThrottleJournal, notices: NoticeBox,
        strategy: String = "auto-converge"
    ) throws -> MigrationWatch {
        let watch = MigrationWatch(
            request: try request(strategy), plan: plan, bounds: bounds, vcpus: 2, source: job, qmp: qmp,
            journal: journal, notify: notices.sink)
        try #require(watch.start())
        let deadline = Date().addingTimeInterval(10)
        while job.left > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        Thread.sleep(forTimeInterval: 0.3)
        return watch
    }

    static let dirtyLimitPlan = ConvergencePlan.make(ConvergenceFixtures.inputs(.autoConverge))

    @Test("aborted or failed: set, lowered, then cancelled and checked; the journal holds the limit meanwhile",
          arguments: ["aborted", "failed"])
    func liftedWhenTheMigrationFails(result: String) throws {
        let journal = ThrottleJournal(stateDirectory: try temporaryStateDirectory())
        let qmp = RecordingQMP()
        let notices = NoticeBox()
        let watch = try Self.watch(plan: Self.dirtyLimitPlan, job: ScriptedJob(Self.readings()), qmp: qmp,
                                   journal: journal, notices: notices)
        let sets = qmp.sent
        try #require(sets.count == 3, "\(sets)")
        let last = try #require(watch.status().dirtyLimit)
        let first = sets.firstLimit
        #expect(first >= 4)
        #expect(sets == [first, max(1, first / 2), max(1, first / 4)].map { DirtyLimitCommands.set(megabytesPerSecond: $0) })
        #expect(last == max(1, first / 4))
        #expect(journal.records().records.map(\.dirtyLimit) == [last])

        let report = watch.stop(result: result, timeout: .seconds(5))
        #expect(report.removed && report.error == nil && report.method == .dirtyLimit)
        #expect(Array(qmp.sent.suffix(2)) == [DirtyLimitCommands.cancel, DirtyLimitCommands.query])
        #expect(report.commands == qmp.sent)
        #expect(journal.records().records.isEmpty)
        let events = try notices.all.map { try OsloJSONParser.parse($0) }
        #expect(events.map { $0["event"] } == [
            .string("instance.live_migration_throttle.start"), .string("instance.live_migration_throttle.start"),
            .string("instance.live_migration_throttle.start"), .string("instance.live_migration_throttle.end"),
        ])
        #expect(events.last?["throttle"]?["result"] == .string(result))
        #expect(events.last?["throttle"]?["removed"] == .bool(true))
    }

    @Test("completed: the source QEMU is gone with its limit; the journal is cleared")
    func completed() throws {
        let journal = ThrottleJournal(stateDirectory: try temporaryStateDirectory())
        let qmp = RecordingQMP()
        qmp.answer(DirtyLimitCommands.cancel, with: .failure(DirtyRingError(kind: .noDomain, message: "gone")))
        let watch = try Self.watch(plan: Self.dirtyLimitPlan, job: ScriptedJob(Self.readings()), qmp: qmp,
                                   journal: journal, notices: NoticeBox())
        let report = watch.stop(result: "completed", timeout: .seconds(5))
        #expect(report.removed)
        #expect(qmp.sent.last == DirtyLimitCommands.cancel)
        #expect(journal.records().records.isEmpty)
    }

    @Test("a limit that cannot be lifted is reported and stays in the journal for the next start")
    func notLifted() throws {
        let journal = ThrottleJournal(stateDirectory: try temporaryStateDirectory())
        let qmp = RecordingQMP()
        qmp.answer(DirtyLimitCommands.cancel, with: .success(#"{"error": {"class": "GenericError", "desc": "busy"}}"#))
        let notices = NoticeBox()
        let watch = try Self.watch(plan: Self.dirtyLimitPlan, job: ScriptedJob(Self.readings()), qmp: qmp,
                                   journal: journal, notices: notices)
        let report = watch.stop(result: "aborted", timeout: .seconds(5))
        #expect(!report.removed)
        #expect(report.error?.message.contains("busy") == true)
        #expect(journal.records().records.count == 1)
        let end = try OsloJSONParser.parse(try #require(notices.all.last))
        #expect(end["throttle"]?["removed"] == .bool(false))
    }

    @Test("a QMP refusal of the set is logged, recorded nowhere, and not retried")
    func refused() throws {
        let journal = ThrottleJournal(stateDirectory: try temporaryStateDirectory())
        let qmp = RecordingQMP()
        let plan = Self.dirtyLimitPlan
        var controller = ConvergenceController(plan: plan, bounds: Self.bounds, vcpus: 2)
        _ = controller.observe(Self.readings()[0])
        guard case .setDirtyLimit(let limit, _)? = controller.observe(Self.readings()[1]).first else {
            Issue.record("no limit")
            return
        }
        qmp.answer(DirtyLimitCommands.set(megabytesPerSecond: limit), with: .success(
            #"{"error": {"class": "GenericError", "desc": "dirty page limit not supported"}}"#))
        let watch = try Self.watch(plan: plan, job: ScriptedJob(Self.readings()), qmp: qmp, journal: journal,
                                   notices: NoticeBox())
        #expect(qmp.sent == [DirtyLimitCommands.set(megabytesPerSecond: limit)])
        let status = watch.status()
        #expect(status.dirtyLimit == nil)
        #expect(status.log.contains { $0.level == .error && $0.message.contains("not supported") })
        let report = watch.stop(result: "failed", timeout: .seconds(5))
        #expect(report.removed)
        #expect(journal.records().records.isEmpty)
    }

    @Test("a dirty-limit without effect is cancelled and checked, then force-complete is asked for; notified")
    func dirtyLimitWithoutEffect() throws {
        let journal = ThrottleJournal(stateDirectory: try temporaryStateDirectory())
        let qmp = RecordingQMP()
        let notices = NoticeBox()
        let plan = ConvergencePlan.make(ConvergenceFixtures.inputs(.forceComplete))
        // The guest keeps dirtying 80 MiB/s whatever the limit; at 38 s (12 s, two rounds) the window ends.
        let readings = [ConvergenceFixtures.reading(at: 10, round: 1, remaining: 700)]
            + (0..<3).map { Self.flat(at: 26 + 6 * Double($0), round: 2 + $0) }
        let watch = try Self.watch(plan: plan, job: ScriptedJob(readings), qmp: qmp, journal: journal, notices: notices,
                                   strategy: "force-complete")
        let first = qmp.sent.firstLimit
        let second = max(1, first / 2)
        #expect(qmp.sent == [DirtyLimitCommands.set(megabytesPerSecond: first),
                             DirtyLimitCommands.set(megabytesPerSecond: second),
                             DirtyLimitCommands.cancel, DirtyLimitCommands.query])
        // The limit's record is gone; force-complete has its own until the migration ends.
        #expect(journal.records().records.map(\.method) == [.forceComplete])
        let status = watch.status()
        #expect(status.method == .forceComplete && status.forceComplete && status.dirtyLimit == nil)
        #expect(status.log.contains { $0.level == .warning && $0.message.contains("had no effect within 12 s") })
        #expect(status.log.contains { $0.level == .info && $0.message == "dirty-limit lifted" })

        let starts = try notices.all.map { try OsloJSONParser.parse($0) }
        #expect(starts.map { $0["throttle"]?["method"] } == [
            .string("dirty-limit"), .string("dirty-limit"), .string("force-complete"), .string("force-complete"),
        ])
        #expect(starts.map { $0["throttle"]?["ineffective_method"] } == [.null, .null, .string("dirty-limit"), .null])
        guard case .string(let reason)? = starts[2]["throttle"]?["reason"] else {
            Issue.record("no reason in \(starts[2])")
            return
        }
        #expect(reason.hasPrefix("dirty-limit \(first), lowered to \(second), MiB/s per vCPU had no effect within "
            + "12 s: dirty rate 80.0 MiB/s -> 80.0 MiB/s; moving to force-complete"), "\(reason)")
        #expect(starts[2]["throttle"]?["dirty_limit_megabytes_per_second"] == .null)

        // Nothing is left to lift when the migration ends.
        let report = watch.stop(result: "completed", timeout: .seconds(5))
        #expect(report.removed && report.method == .forceComplete)
        #expect(qmp.sent.count == 4)
        #expect(journal.records().records.isEmpty)
        let end = try OsloJSONParser.parse(try #require(notices.all.last))
        #expect(end["event"] == .string("instance.live_migration_throttle.end"))
        #expect(end["throttle"]?["method"] == .string("force-complete"))
    }

    @Test("with no next method the dirty-limit without effect is still cancelled; method none is notified, once")
    func dirtyLimitWithoutEffectNoFallback() throws {
        let journal = ThrottleJournal(stateDirectory: try temporaryStateDirectory())
        let qmp = RecordingQMP()
        let notices = NoticeBox()
        let readings = [ConvergenceFixtures.reading(at: 10, round: 1, remaining: 700)]
            + (0..<5).map { Self.flat(at: 26 + 6 * Double($0), round: 2 + $0) }
        let watch = try Self.watch(plan: Self.dirtyLimitPlan, job: ScriptedJob(readings), qmp: qmp, journal: journal,
                                   notices: notices)
        #expect(Array(qmp.sent.suffix(2)) == [DirtyLimitCommands.cancel, DirtyLimitCommands.query])
        #expect(qmp.sent.count == 4, "\(qmp.sent)")
        #expect(watch.status().method == ThrottleMethod.none)
        let report = watch.stop(result: "failed", timeout: .seconds(5))
        #expect(report.removed && report.method == .dirtyLimit && qmp.sent.count == 4)
        let throttles = try notices.all.map { try #require(OsloJSONParser.parse($0)["throttle"]) }
        #expect(throttles.map { $0["method"] } == [
            .string("dirty-limit"), .string("dirty-limit"), .string("none"), .string("dirty-limit"),
        ])
        #expect(throttles[2]["ineffective_method"] == .string("dirty-limit"))
    }

    @Test("a dirty-limit without effect that cannot be cancelled stays recorded and is lifted at stop")
    func dirtyLimitWithoutEffectNotCancelled() throws {
        let journal = ThrottleJournal(stateDirectory: try temporaryStateDirectory())
        let qmp = RecordingQMP()
        qmp.answer(DirtyLimitCommands.cancel, with: .success(#"{"error": {"class": "GenericError", "desc": "busy"}}"#))
        let readings = [ConvergenceFixtures.reading(at: 10, round: 1, remaining: 700)]
            + (0..<3).map { Self.flat(at: 26 + 6 * Double($0), round: 2 + $0) }
        let watch = try Self.watch(plan: Self.dirtyLimitPlan, job: ScriptedJob(readings), qmp: qmp, journal: journal,
                                   notices: NoticeBox())
        #expect(qmp.sent.last == DirtyLimitCommands.cancel)
        let status = watch.status()
        #expect(status.dirtyLimit != nil && journal.records().records.count == 1)
        #expect(status.log.contains { $0.level == .error && $0.message.contains("could not be lifted") })
        qmp.answer(DirtyLimitCommands.cancel, with: .success(#"{"return": {}}"#))
        let report = watch.stop(result: "failed", timeout: .seconds(5))
        #expect(report.removed && journal.records().records.isEmpty)
        #expect(Array(qmp.sent.suffix(2)) == [DirtyLimitCommands.cancel, DirtyLimitCommands.query])
    }

    @Test("force-complete and auto-converge send no QMP command")
    func fallbacksSendNoCommand() throws {
        for strategy in [ConvergeStrategy.forceComplete, .autoConverge] {
            let qmp = RecordingQMP()
            let notices = NoticeBox()
            let plan = ConvergencePlan.make(ConvergenceFixtures.inputs(strategy, ring: 0))
            var readings = Self.readings()
            if strategy == .autoConverge { readings[3].autoConvergeThrottlePercent = 80 }
            let watch = try Self.watch(
                plan: plan, job: ScriptedJob(readings), qmp: qmp,
                journal: ThrottleJournal(stateDirectory: try temporaryStateDirectory()), notices: notices,
                strategy: strategy.rawValue)
            let status = watch.status()
            #expect(status.forceComplete == (strategy == .forceComplete))
            let report = watch.stop(result: "completed", timeout: .seconds(5))
            #expect(qmp.sent.isEmpty && report.removed)
            #expect(report.method == (strategy == .forceComplete ? .forceComplete : .autoConverge))
            #expect(notices.all.count == 2)
        }
    }
}

extension Array where Element == String {
    /// The limit of the first set-vcpu-dirty-limit command.
    var firstLimit: Int {
        guard let text = first, let range = text.range(of: #""dirty-rate": "#) else { return -1 }
        return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? -1
    }
}

/// The dirty-limit commands on a real QEMU through libvirt. On this host the limit also livelocks
/// vCPU 0 about 2 s later (BRIEF section 5); the monitor keeps answering, which is all this needs.
@Suite("Dirty-limit on a real guest: set, seen, and lifted when the driver starts", .serialized)
struct RealDirtyLimitTests {
    @Test("a limit left by a crash is found in the journal and lifted by liftLeftoverThrottles")
    func leftoverLifted() throws {
        let suffix = String(UInt32.random(in: 0..<100_000))
        let guests = try TestGuest.start([("dr-dl-\(suffix)", ["--ring", "4096", "--mb", "64", "--rate", "10"])])
        defer { guests.forEach { $0.destroy() } }
        let stateDir = try temporaryStateDirectory()
        let context = try HostContext.open(ContextConfiguration(stateDir: stateDir))
        let domain = try context.connection.domain(named: guests[0].name)
        let qmp = DomainQMPChannel(domain: domain, timeoutSeconds: 10)
        let instance = MigrationWatchRequest.Instance(uuid: try domain.uuid(), tenantID: "t", userID: "u")

        // What the watch does before nova-compute "crashes": record, then set.
        try context.throttleJournal.write(ThrottleRecord(
            instance: instance, method: .dirtyLimit, dirtyLimit: 10, appliedAt: "2026-11-28T10:00:00Z"))
        try DirtyLimitCommands.checkAnswer(try qmp.execute(DirtyLimitCommands.set(megabytesPerSecond: 10)),
                                           to: "set-vcpu-dirty-limit")
        let set = try DirtyLimitCommands.limits(inAnswer: try qmp.execute(DirtyLimitCommands.query))
        #expect(set.map(\.limitMegabytesPerSecond) == [10])

        // The driver starts again.
        let notices = NoticeBox()
        let restarted = try HostContext.open(ContextConfiguration(stateDir: stateDir))
        let results = restarted.liftLeftoverThrottles(notify: notices.sink)
        #expect(results.map(\.result) == [.lifted], "\(results)")
        #expect(try DirtyLimitCommands.limits(inAnswer: try qmp.execute(DirtyLimitCommands.query)).isEmpty)
        #expect(restarted.throttleJournal.records().records.isEmpty)
        let end = try OsloJSONParser.parse(try #require(notices.all.first))
        #expect(end["event"] == .string("instance.live_migration_throttle.end"))
        #expect(end["throttle"]?["result"] == .string("restarted"))

        // A record of a guest that is gone is dropped.
        try restarted.throttleJournal.write(ThrottleRecord(
            instance: .init(uuid: "00000000-0000-4000-8000-000000000000", tenantID: "t", userID: "u"),
            method: .dirtyLimit, dirtyLimit: 5, appliedAt: "2026-11-28T10:00:00Z"))
        #expect(restarted.liftLeftoverThrottles(notify: { _ in }).map(\.result) == [.gone])
        #expect(restarted.throttleJournal.records().records.isEmpty)
    }

    @Test("auto-converge left by a crash: its record is closed with an end notification, no command")
    func leftoverAutoConvergeClosed() throws {
        let stateDir = try temporaryStateDirectory()
        let context = try HostContext.open(ContextConfiguration(stateDir: stateDir))
        let instance = MigrationWatchRequest.Instance(
            uuid: "00000000-0000-4000-8000-0000000000ac", tenantID: "t", userID: "u")
        try context.throttleJournal.write(ThrottleRecord(
            instance: instance, method: .autoConverge, dirtyLimit: nil, appliedAt: "2026-12-07T22:00:00Z"))
        let notices = NoticeBox()
        let results = context.liftLeftoverThrottles(notify: notices.sink)
        #expect(results.map(\.result) == [.lifted], "\(results)")
        #expect(context.throttleJournal.records().records.isEmpty)
        let end = try OsloJSONParser.parse(try #require(notices.all.first))
        #expect(end["event"] == .string("instance.live_migration_throttle.end"))
        #expect(end["throttle"]?["result"] == .string("restarted"))
        #expect(end["throttle"]?["method"] == .string("auto-converge"))
        #expect(end["throttle"]?["removed"] == .bool(true))
    }
}
