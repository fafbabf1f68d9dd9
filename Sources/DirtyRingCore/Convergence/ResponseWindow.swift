/// The time a throttle has, from its first action, to show in the migration's progress that it
/// bites; past it without a response the throttle is judged to have no effect.
///
/// The progress indicator is QEMU's dirty rate (`memory_dirty_rate`): the throttle's target,
/// and the only figure that shows it. QEMU computes it, like the remaining memory, only when it
/// syncs the dirty bitmap at the end of a round, so a reading shows a throttle's effect from the
/// round after the action on (the round it acts in is then partly throttled), and fully from two
/// rounds on. The remaining memory is no better: between syncs it falls at the link's rate
/// whatever the guest does, and at a sync it is the dirty rate times the round's length.
///
/// Responds: a reading of a later round than the action's shows a dirty rate at least
/// `requiredFall` below the rate at the action. Ends: at the first reading at least
/// `minimumSeconds` after the action and `rounds` rounds later, or at `maximumSeconds` whatever
/// the rounds.
public struct ResponseWindow: Equatable, Sendable {
    /// Two settling periods: QEMU's dirty-limit corrects each vCPU's sleep once a second and
    /// needs a few periods to reach its limit; auto-converge raises its throttle at most once
    /// a round.
    public static let minimumSeconds = 2 * ConvergenceController.settleSeconds
    /// One round after the action's, so that a whole round ran throttled and its rate was read.
    public static let rounds = 2
    /// The bound, for rounds too long to wait for: a throttle that has not shown an effect in a
    /// minute leaves too little of a usual completion timeout to the next method.
    public static let maximumSeconds = 60.0
    /// The fall of the dirty rate that counts as a response, as a fraction of the rate at the
    /// action: more than a round-to-round wobble, less than any throttle that bites gives.
    public static let requiredFall = 0.1

    /// What a reading says of the throttle.
    public enum Verdict: Equatable, Sendable {
        /// The window is still open and the dirty rate has not fallen yet.
        case pending
        /// The dirty rate fell enough.
        case responded
        /// The window ended without a response: the seconds since the action, and QEMU's dirty
        /// rate at the action and now, in MiB/s.
        case noEffect(seconds: Double, rateAtAction: Double, rateNow: Double)
    }

    public let method: ThrottleMethod
    public let startedAt: Double
    public let round: Int
    /// QEMU's dirty rate at the action, in MiB/s.
    public let rateAtAction: Double

    /// A window for `method` opened at the reading `progress` of its first action.
    public init(method: ThrottleMethod, at progress: MigrationProgress) {
        self.method = method
        startedAt = progress.elapsedSeconds
        round = progress.iteration
        rateAtAction = progress.dirtyRateMiB
    }

    /// Judges one later reading.
    public func judge(_ progress: MigrationProgress) -> Verdict {
        if progress.iteration > round, progress.dirtyRateMiB <= rateAtAction * (1 - Self.requiredFall) {
            return .responded
        }
        let seconds = progress.elapsedSeconds - startedAt
        let ended = (seconds >= Self.minimumSeconds && progress.iteration >= round + Self.rounds)
            || seconds >= Self.maximumSeconds
        guard ended else { return .pending }
        return .noEffect(seconds: seconds, rateAtAction: rateAtAction, rateNow: progress.dirtyRateMiB)
    }
}
