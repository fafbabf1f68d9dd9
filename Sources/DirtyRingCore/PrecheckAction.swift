/// What the pre-flight check does with a migration that is forecast not to converge.
public enum PrecheckAction: String, Codable, CaseIterable, Sendable {
    /// Let it run and explain the risk.
    case warn
    /// Let it run with the dirty rate limited so that it converges.
    case `throttle`
    /// Refuse it before it starts.
    case reject
}
