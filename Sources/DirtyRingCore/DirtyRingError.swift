/// A failure reported to the caller of the library, in the shape of the C ABI's error document.
public struct DirtyRingError: Error, Codable, Equatable, Sendable {
    /// What went wrong, as a stable machine-readable category.
    public enum Kind: String, Codable, Equatable, Sendable, CaseIterable {
        case invalidConfig = "invalid_config"
        case invalidRequest = "invalid_request"
        case malformedJSON = "malformed_json"
        case malformedXML = "malformed_xml"
        case unsupported
        case libvirt
        case kvm
        case timeout
        case `internal`
        /// The domain named in a measurement does not exist (or stopped).
        case noDomain = "no_domain"
        /// A dirty-rate calculation is already running on the domain.
        case busy
        /// The domain is migrating out; QEMU refuses a calculation meanwhile.
        case migrating
        /// vCPUs stopped making progress after a dirty-ring operation.
        case stall
    }

    /// The category of the failure.
    public var kind: Kind
    /// One line for an operator.
    public var message: String
    /// The configuration option at fault, as `[group] name`; only for `invalidConfig`.
    public var option: String?
    /// The offending value of `option`; only for `invalidConfig`.
    public var value: String?
    /// The vCPUs that stopped; only for `stall`.
    public var stalledVCPUs: [Int]?

    public init(kind: Kind, message: String, option: String? = nil, value: String? = nil, stalledVCPUs: [Int]? = nil) {
        self.kind = kind
        self.message = message
        self.option = option
        self.value = value
        self.stalledVCPUs = stalledVCPUs
    }

    enum CodingKeys: String, CodingKey {
        case kind, message, option, value
        case stalledVCPUs = "stalled_vcpus"
    }
}

extension DirtyRingError: CustomStringConvertible {
    public var description: String { "\(kind.rawValue): \(message)" }
}
