/// Whether a guest with a dirty ring may live-migrate away from this host: only where the host
/// qualified its ring, since a ring that loses writes corrupts the guest's memory on the
/// destination without a sign.
public enum SourceRingCheck {
    /// The request of `dr_source_check`, describing the source host.
    public struct Request: Decodable, Sendable {
        public var host: HostReport
        public var hostName: String
        /// The guest's ring in entries; 0 when it has none.
        public var instanceRingSize: Int
        /// `[dirtyring] allow_unqualified_ring_migration`.
        public var allowUnqualified: Bool

        public init(host: HostReport, hostName: String, instanceRingSize: Int, allowUnqualified: Bool = false) {
            self.host = host
            self.hostName = hostName
            self.instanceRingSize = instanceRingSize
            self.allowUnqualified = allowUnqualified
        }

        enum CodingKeys: String, CodingKey {
            case host
            case hostName = "host_name"
            case instanceRingSize = "instance_ring_size"
            case allowUnqualified = "allow_unqualified"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            host = try container.decode(HostReport.self, forKey: .host)
            hostName = try container.decode(String.self, forKey: .hostName)
            instanceRingSize = try container.decode(Int.self, forKey: .instanceRingSize)
            allowUnqualified = try container.decodeIfPresent(Bool.self, forKey: .allowUnqualified) ?? false
        }
    }

    /// The result of `dr_source_check`.
    public struct Result: Codable, Equatable, Sendable {
        public var allowed: Bool
        /// Whether the guest's ring is unqualified here (allowed only through the option).
        public var unqualified: Bool
        /// One sentence for an operator.
        public var reason: String

        public init(allowed: Bool, unqualified: Bool, reason: String) {
            self.allowed = allowed
            self.unqualified = unqualified
            self.reason = reason
        }
    }

    /// The option that lets a ring guest leave an unqualified host all the same.
    public static let allowOption = "[dirtyring] allow_unqualified_ring_migration"

    /// Judges the source. A guest without a ring may always leave; one with a ring only from a
    /// host with a current, passed qualification of its size, unless the operator allows it.
    public static func check(_ request: Request) throws(DirtyRingError) -> Result {
        let source = "source \(request.hostName)"
        guard request.instanceRingSize != 0 else {
            return Result(allowed: true, unqualified: false, reason: "\(source) may send this instance: it has no dirty ring")
        }
        guard let size = RingSize(entries: request.instanceRingSize) else {
            throw DirtyRingError(
                kind: .invalidRequest,
                message: "instance_ring_size = \(request.instanceRingSize) is invalid: must be 0 or a "
                    + "power of two between \(RingSize.minimum) and \(RingSize.maximum)")
        }
        let support = request.host.dirtyRing
        if support.isQualified(size) {
            return Result(
                allowed: true, unqualified: false,
                reason: "\(source) qualified this instance's dirty ring of \(size) entries")
        }
        let verdict = support.verdict(for: size)
        let risk = "\(source) has not proven that a dirty ring of \(size) entries loses no write in a live "
            + "migration (qualification \(verdict.state.rawValue)"
            + (verdict.evidence.map { ": \($0)" } ?? "") + ")"
        if request.allowUnqualified {
            return Result(allowed: true, unqualified: true, reason: risk + "; migrating anyway: \(allowOption) = true")
        }
        return Result(
            allowed: false, unqualified: true,
            reason: risk + ": a live migration could silently corrupt the guest's memory. A cold migration "
                + "or a hard reboot rebuilds the guest without the ring on a host that does not offer it; "
                + "\(allowOption) = true migrates it live all the same")
    }
}
