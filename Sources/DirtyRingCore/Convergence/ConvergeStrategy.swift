/// What the convergence controller does with a migration that will not converge in time when
/// the dirty-limit cannot be used (`[dirtyring] converge_strategy`).
///
/// The dirty-limit (QEMU's per-vCPU dirty-rate throttle) is always the first choice: it slows
/// only the vCPUs that write. It needs the guest's dirty ring, a host whose ring passed the
/// self-test, and QEMU 7.1 or later.
public enum ConvergeStrategy: String, Codable, CaseIterable, Sendable {
    /// QEMU's auto-converge: the migration starts with it enabled, its first throttle step sized
    /// from the pre-flight forecast; QEMU throttles all vCPUs only once a round dirties more than
    /// half of what it sent.
    case autoConverge = "auto-converge"
    /// Nova's force-complete: the guest is paused so that what is left is copied at once.
    case forceComplete = "force-complete"
    /// No throttle besides the dirty-limit: the migration is watched and reported.
    case dirtyLimitOnly = "dirty-limit-only"
}
