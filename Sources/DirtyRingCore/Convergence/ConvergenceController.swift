/// Watches a running migration and decides, reading by reading, which throttle makes it
/// converge within its deadline.
///
/// From the second round on (the first is the full copy), each reading is forecast forward: the
/// remaining memory, QEMU's dirty rate and transfer rate, the downtime and the time left. When
/// that forecast does not converge, the plan's method acts: the dirty-limit is set at the
/// largest per-vCPU rate with which the forecast converges, and halved when, a settling time
/// later, the migration still would not converge; force-complete is asked for once;
/// auto-converge is QEMU's own and only observed.
///
/// A dirty-limit, and QEMU's auto-converge once it throttles, must show within a
/// `ResponseWindow` from its first action that it slows the guest's dirtying. One that does not
/// is dropped for the plan's `fallback` (the dirty-limit is lifted), which acts from the same
/// reading on; with no fallback the controller says so once and does nothing more.
public struct ConvergenceController: Sendable {
    /// What the controller asks for or saw, in order.
    public enum Event: Equatable, Sendable {
        /// Set the dirty-limit of every vCPU to this many MiB/s.
        case setDirtyLimit(megabytesPerSecondPerVCPU: Int, reason: String)
        /// Ask Nova to force the migration to complete.
        case forceComplete(reason: String)
        /// QEMU's auto-converge throttle changed to this percentage.
        case autoConvergeThrottle(percent: Int)
        /// The migration will not converge in time and nothing here can help (told once).
        case notConverging(reason: String)
        /// `method` showed no effect within its response window and is dropped (a dirty-limit is
        /// to be lifted); `next` acts from now on, `none` when nothing may (then nothing more is
        /// done or told).
        case ineffective(method: ThrottleMethod, next: ThrottleMethod, reason: String)
    }

    /// Seconds after a throttle change before the next reading can change it again.
    public static let settleSeconds = 5.0
    /// The lowest dirty-limit set, in MiB/s per vCPU.
    public static let minimumLimit = 1

    public let plan: ConvergencePlan
    public let bounds: MigrationBounds
    public let vcpus: Int

    /// The method acting now: the plan's, until it shows no effect.
    public private(set) var method: ThrottleMethod
    /// The dirty-limit in force, in MiB/s per vCPU.
    public private(set) var dirtyLimit: Int?
    public private(set) var forceCompleteRequested = false
    public private(set) var autoConvergePercent = 0
    private var lastChangeAt: Double?
    private var toldNotConverging = false
    /// The window of the method being checked; each method is checked once, from its first action.
    private var window: ResponseWindow?
    private var checked: Set<ThrottleMethod> = []
    /// The first dirty-limit set, in MiB/s per vCPU.
    private var firstLimit: Int?

    public init(plan: ConvergencePlan, bounds: MigrationBounds, vcpus: Int) {
        self.plan = plan
        self.bounds = bounds
        self.vcpus = max(1, vcpus)
        method = plan.method
    }

    /// Takes one reading; returns what to do or report.
    public mutating func observe(_ progress: MigrationProgress) -> [Event] {
        var events: [Event] = []
        if progress.autoConvergeThrottlePercent != autoConvergePercent {
            autoConvergePercent = progress.autoConvergeThrottlePercent
            events.append(.autoConvergeThrottle(percent: autoConvergePercent))
        }
        if let window {
            events += judge(window, progress)
        }
        if method == .autoConverge, autoConvergePercent > 0 {
            check(.autoConverge, from: progress)
        }
        guard progress.iteration >= 2, !forceCompleteRequested else { return events }
        if let lastChangeAt, progress.elapsedSeconds - lastChangeAt < Self.settleSeconds { return events }
        let left = bounds.deadlineSeconds - progress.elapsedSeconds
        let bandwidth = progress.bandwidthMiB > 0 ? progress.bandwidthMiB : bounds.bandwidth
        guard left > 0,
              let parameters = try? ForecastParameters(
                memoryMiB: max(1, Int(min(progress.memoryRemainingMiB.rounded(.up), Double(ForecastParameters.maximumMemoryMiB)))),
                dirtyRate: min(progress.dirtyRateMiB, ForecastParameters.maximumRate), bandwidth: bandwidth,
                maxDowntimeMilliseconds: bounds.maxDowntimeMilliseconds, deadlineSeconds: left)
        else { return events }
        guard !ForecastSimulation(parameters).converges else { return events }
        let situation = "\(ForecastText.number(progress.memoryRemainingMiB.rounded())) MiB left in round "
            + "\(progress.iteration), dirtying \(ForecastText.rate(parameters.dirtyRate)) over "
            + "\(ForecastText.rate(bandwidth)): would not converge in the \(ForecastText.seconds(left)) left"
        switch method {
        case .dirtyLimit:
            // The forecast does not converge at this rate, so no limit means none helps.
            guard let total = ForecastLimit.largest(for: parameters) else {
                events += notConverging(situation + "; even a guest that dirties nothing would not")
                return events
            }
            var limit = max(Self.minimumLimit, Int((total / Double(vcpus)).rounded(.down)))
            if let current = dirtyLimit, limit >= current {
                guard current > Self.minimumLimit else {
                    events += notConverging(situation + "; the dirty-limit is already at its minimum")
                    return events
                }
                limit = max(Self.minimumLimit, current / 2)
            }
            dirtyLimit = limit
            lastChangeAt = progress.elapsedSeconds
            if firstLimit == nil { firstLimit = limit }
            check(.dirtyLimit, from: progress)
            events.append(.setDirtyLimit(
                megabytesPerSecondPerVCPU: limit,
                reason: situation + "; dirty-limit \(limit) MiB/s on each of \(vcpus) vCPU\(vcpus == 1 ? "" : "s")"))
        case .forceComplete:
            forceCompleteRequested = true
            events.append(.forceComplete(
                reason: situation + "; force-complete: the guest pauses while about "
                    + "\(ForecastText.seconds(progress.memoryRemainingMiB / bandwidth)) of memory is copied"))
        case .autoConverge:
            events += notConverging(situation + "; auto-converge throttles at \(autoConvergePercent) %")
        case .none:
            events += notConverging(situation + "; no throttle (dirty-limit-only)")
        }
        return events
    }

    /// Opens the response window of `method` at its first action.
    private mutating func check(_ method: ThrottleMethod, from progress: MigrationProgress) {
        guard !checked.contains(method) else { return }
        checked.insert(method)
        window = ResponseWindow(method: method, at: progress)
    }

    /// Closes `window` once the dirty rate responds; past its end without a response, drops its
    /// method for the plan's fallback.
    private mutating func judge(_ window: ResponseWindow, _ progress: MigrationProgress) -> [Event] {
        switch window.judge(progress) {
        case .pending:
            return []
        case .responded:
            self.window = nil
            return []
        case .noEffect(let seconds, let before, let now):
            self.window = nil
            let throttle = switch window.method {
            case .dirtyLimit:
                "dirty-limit " + (firstLimit == dirtyLimit || dirtyLimit == nil
                    ? "\(firstLimit ?? 0)" : "\(firstLimit ?? 0), lowered to \(dirtyLimit ?? 0),") + " MiB/s per vCPU"
            case .autoConverge: "auto-converge at \(autoConvergePercent) %"
            case .forceComplete, .none: window.method.rawValue
            }
            let next = plan.fallback
            let outcome = next == .none
                ? "no further throttle (\(plan.fallbackReason))"
                : "moving to \(next.rawValue) (\(plan.fallbackReason))"
            let reason = "\(throttle) had no effect within \(ForecastText.seconds(seconds)): dirty rate "
                + "\(ForecastText.rate(before)) -> \(ForecastText.rate(now)); " + outcome
            method = next
            if window.method == .dirtyLimit { dirtyLimit = nil }
            lastChangeAt = nil
            if next == .none { toldNotConverging = true }
            return [.ineffective(method: window.method, next: next, reason: reason)]
        }
    }

    private mutating func notConverging(_ reason: String) -> [Event] {
        guard !toldNotConverging else { return [] }
        toldNotConverging = true
        return [.notConverging(reason: reason)]
    }
}
