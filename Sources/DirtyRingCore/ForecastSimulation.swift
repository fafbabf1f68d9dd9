/// A pre-copy live migration played round by round.
///
/// Round 1 copies all memory; each later round copies what the guest dirtied during the round
/// before, at most its working set. When what is left to copy fits in the max downtime at the
/// bandwidth, the guest is paused and the remainder copied (the stop-and-copy). The play stops
/// without converging once the deadline has passed or after `maximumRounds` rounds.
struct ForecastSimulation: Equatable, Sendable {
    /// Rounds after which a migration counts as never converging.
    static let maximumRounds = 10_000

    /// Whether the stop-and-copy happened, and the whole migration ended by the deadline.
    var converges: Bool
    /// Pre-copy rounds run while the guest kept running (the stop-and-copy not counted).
    var rounds: Int
    /// Time of the pre-copy rounds and of the stop-and-copy when there was one, in seconds.
    var seconds: Double
    /// Memory copied by the pre-copy rounds and the stop-and-copy when there was one, in MiB.
    var sentMiB: Double
    /// What the stop-and-copy copies, or would copy if forced when the play stopped, in MiB.
    var remainderMiB: Double

    init(_ parameters: ForecastParameters) {
        let bandwidth = parameters.bandwidth
        let downtimeCapacity = bandwidth * parameters.maxDowntimeMilliseconds / 1000
        let workingSet = Double(parameters.workingSetMiB)
        var toSend = Double(parameters.memoryMiB)
        var rounds = 0
        var seconds = 0.0
        var sent = 0.0
        while true {
            let roundSeconds = toSend / bandwidth
            rounds += 1
            seconds += roundSeconds
            sent += toSend
            toSend = min(parameters.dirtyRate * roundSeconds, workingSet)
            if toSend <= downtimeCapacity {
                seconds += toSend / bandwidth
                sent += toSend
                converges = seconds <= parameters.deadlineSeconds
                break
            }
            if seconds > parameters.deadlineSeconds || rounds >= Self.maximumRounds {
                converges = false
                break
            }
        }
        self.rounds = rounds
        self.seconds = seconds
        self.sentMiB = sent
        self.remainderMiB = toSend
    }
}
