/// One of the three checks a ring qualification runs, with what it observed.
public struct QualificationCheck: Codable, Equatable, Sendable {
    /// The checks, in the order they run.
    public enum Name: String, Codable, Equatable, Sendable, CaseIterable {
        /// Ring readings of canaries with a known number of distinct pages per period.
        case counting
        /// Live migrations of a self-checking canary with the ring (and with the bitmap as control).
        case migrationIntegrity = "migration_integrity"
        /// The canary's vCPU kept running after every ring operation.
        case liveness
    }

    public var name: Name
    public var state: RingQualification.State
    /// One line for an operator: what was seen and why that is the verdict.
    public var summary: String
    /// One line an observation (a reading, a migration run), in the order seen.
    public var evidence: [String]

    public init(name: Name, state: RingQualification.State, summary: String, evidence: [String] = []) {
        self.name = name
        self.state = state
        self.summary = summary
        self.evidence = evidence
    }

    /// The check in one line: "counting failed: ...".
    public var line: String { "\(name.rawValue) \(state.rawValue): \(summary)" }
}
