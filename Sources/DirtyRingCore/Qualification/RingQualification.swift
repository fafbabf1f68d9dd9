/// Whether this host has proven that guests may run with a dirty ring of one size: the
/// `qualification` JSON shape of the C ABI and of `dirtyring qualify --json`.
///
/// `passed` only when every check passed; `failed` when one failed; `unknown` when none
/// failed but one could not conclude, when the host was never qualified, or when the verdict
/// was proven on other versions (`stale` names what changed).
public struct RingQualification: Codable, Equatable, Sendable {
    public enum State: String, Codable, Equatable, Sendable, CaseIterable {
        case passed
        case failed
        case unknown
    }

    public var state: State
    /// What the verdict was proven on; nil when never qualified.
    public var key: QualificationKey?
    /// When the verdict was recorded, as ISO 8601 UTC; nil when never qualified.
    public var checkedAt: String?
    /// How long the qualification took.
    public var seconds: Double?
    /// Every check run, in order.
    public var checks: [QualificationCheck]
    /// One line for an operator: the failed (or inconclusive) checks, or why there is no verdict.
    public var evidence: String?
    /// What changed since a recorded verdict; the verdict no longer counts (state unknown).
    public var stale: [String]

    public init(
        state: State, key: QualificationKey? = nil, checkedAt: String? = nil, seconds: Double? = nil,
        checks: [QualificationCheck] = [], evidence: String? = nil, stale: [String] = []
    ) {
        self.state = state
        self.key = key
        self.checkedAt = checkedAt
        self.seconds = seconds
        self.checks = checks
        self.evidence = evidence
        self.stale = stale
    }

    /// The verdict drawn from `checks`: failed if one failed, else unknown if one did not
    /// conclude, else passed (never passed without checks).
    public init(key: QualificationKey, checkedAt: String, seconds: Double?, checks: [QualificationCheck]) {
        let failed = checks.filter { $0.state == .failed }
        let inconclusive = checks.filter { $0.state == .unknown }
        let state: State = !failed.isEmpty ? .failed : (!inconclusive.isEmpty || checks.isEmpty ? .unknown : .passed)
        let shown = !failed.isEmpty ? failed : (!inconclusive.isEmpty ? inconclusive : checks)
        self.init(
            state: state, key: key, checkedAt: checkedAt, seconds: seconds, checks: checks,
            evidence: checks.isEmpty ? "no check ran" : shown.map(\.line).joined(separator: "; "))
    }

    /// Nothing known.
    public static let unknown = RingQualification(
        state: .unknown, evidence: "this host's dirty ring was never qualified (dirtyring qualify)")

    /// A current verdict that could not conclude (a check was unknown): it proves nothing.
    public var isInconclusive: Bool { state == .unknown && key != nil && stale.isEmpty }

    /// This verdict as it holds for a host whose facts are `current`: itself when proven on
    /// them, else unknown naming what changed.
    public func holding(for current: QualificationKey) -> RingQualification {
        guard let key else { return self }
        let changes = key.changes(to: current)
        guard !changes.isEmpty else { return self }
        var stale = self
        stale.state = .unknown
        stale.stale = changes
        stale.evidence = "the \(state.rawValue) verdict of \(checkedAt ?? "an earlier run") is stale: "
            + changes.joined(separator: "; ")
        return stale
    }

    /// The verdict in one sentence for an operator.
    public var sentence: String {
        let size = key.map { "a dirty ring of \($0.ringSize) entries" } ?? "the dirty ring"
        switch state {
        case .passed: return "\(size) is qualified on this host" + (checkedAt.map { " (\($0))" } ?? "")
        case .failed:
            return "\(size) failed qualification on this host" + (checkedAt.map { " (\($0))" } ?? "")
                + ": " + (evidence ?? "no evidence recorded")
        case .unknown: return "\(size) is not qualified on this host: " + (evidence ?? "never qualified")
        }
    }

    enum CodingKeys: String, CodingKey {
        case state, key, seconds, checks, evidence, stale
        case checkedAt = "checked_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        state = try container.decode(State.self, forKey: .state)
        key = try container.decodeIfPresent(QualificationKey.self, forKey: .key)
        checkedAt = try container.decodeIfPresent(String.self, forKey: .checkedAt)
        seconds = try container.decodeIfPresent(Double.self, forKey: .seconds)
        checks = try container.decodeIfPresent([QualificationCheck].self, forKey: .checks) ?? []
        evidence = try container.decodeIfPresent(String.self, forKey: .evidence)
        stale = try container.decodeIfPresent([String].self, forKey: .stale) ?? []
    }

    /// Always writes every field, `null` where unknown.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
        try container.encode(key, forKey: .key)
        try container.encode(checkedAt, forKey: .checkedAt)
        try container.encode(seconds, forKey: .seconds)
        try container.encode(checks, forKey: .checks)
        try container.encode(evidence, forKey: .evidence)
        try container.encode(stale, forKey: .stale)
    }
}
