/// Whether dirty-ring operations are safe on this host, as last established by a selftest or a
/// measurement: the `selftest` JSON shape of the C ABI.
///
/// `failed` disables dirty-ring measurement on the host until an operator clears it.
public struct RingSelftest: Codable, Equatable, Sendable {
    public enum State: String, Codable, Equatable, Sendable, CaseIterable {
        /// A dirty-ring measurement ran and every vCPU kept progressing.
        case passed
        /// A dirty-ring operation stopped a vCPU (see `evidence`).
        case failed
        /// Never checked, or cleared by an operator.
        case unknown
    }

    public var state: State
    /// When the verdict was recorded, as ISO 8601 UTC; nil when unknown.
    public var checkedAt: String?
    /// What was observed, for an operator; nil when unknown.
    public var evidence: String?

    public init(state: State, checkedAt: String? = nil, evidence: String? = nil) {
        self.state = state
        self.checkedAt = checkedAt
        self.evidence = evidence
    }

    /// Nothing known.
    public static let unknown = RingSelftest(state: .unknown)

    enum CodingKeys: String, CodingKey {
        case state
        case checkedAt = "checked_at"
        case evidence
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        state = try container.decode(State.self, forKey: .state)
        checkedAt = try container.decodeIfPresent(String.self, forKey: .checkedAt)
        evidence = try container.decodeIfPresent(String.self, forKey: .evidence)
    }

    /// Always writes every field, `null` where unknown.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
        try container.encode(checkedAt, forKey: .checkedAt)
        try container.encode(evidence, forKey: .evidence)
    }
}
