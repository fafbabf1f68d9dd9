/// The pre-flight check's answer for one live migration.
public enum PrecheckVerdict: String, Codable, CaseIterable, Sendable {
    /// Migrate as asked.
    case accept
    /// Migrate with the guest's dirty rate limited to the forecast's limit.
    case `throttle`
    /// Refuse the migration (Nova's `MigrationPreCheckError`).
    case reject
}
