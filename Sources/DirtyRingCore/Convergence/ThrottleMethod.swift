/// How a migration is being made to converge.
public enum ThrottleMethod: String, Codable, CaseIterable, Sendable {
    /// QEMU's per-vCPU dirty-rate limit (`set-vcpu-dirty-limit`).
    case dirtyLimit = "dirty-limit"
    /// QEMU's auto-converge CPU throttle.
    case autoConverge = "auto-converge"
    /// Nova's force-complete (the guest paused for the rest of the copy).
    case forceComplete = "force-complete"
    /// None: the migration is only watched.
    case none
}
