import DirtyRingCore

/// How a host context reaches libvirt and KVM (the `config_json` of `dr_context_open`).
public struct ContextConfiguration: Codable, Equatable, Sendable {
    /// libvirt URI opened when no connection is shared.
    public var libvirtURI: String
    /// The KVM device.
    public var kvmDevice: String
    /// Upper bound of every blocking call made through the context, in seconds.
    public var timeoutSeconds: Double
    /// Where the host's ring qualification verdicts are kept across restarts.
    public var stateDir: String

    public static let defaultLibvirtURI = "qemu:///system"
    public static let defaultKVMDevice = "/dev/kvm"
    public static let defaultTimeoutSeconds = 10.0
    public static let defaultStateDir = "/var/lib/nova-dirtyring"
    /// Bounds accepted for `timeout_seconds`.
    public static let timeoutRange = 0.1...3600.0

    public init(
        libvirtURI: String = defaultLibvirtURI,
        kvmDevice: String = defaultKVMDevice,
        timeoutSeconds: Double = defaultTimeoutSeconds,
        stateDir: String = defaultStateDir
    ) {
        self.libvirtURI = libvirtURI
        self.kvmDevice = kvmDevice
        self.timeoutSeconds = timeoutSeconds
        self.stateDir = stateDir
    }

    enum CodingKeys: String, CodingKey {
        case libvirtURI = "libvirt_uri"
        case kvmDevice = "kvm_device"
        case timeoutSeconds = "timeout_seconds"
        case stateDir = "state_dir"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        libvirtURI = try container.decodeIfPresent(String.self, forKey: .libvirtURI) ?? Self.defaultLibvirtURI
        kvmDevice = try container.decodeIfPresent(String.self, forKey: .kvmDevice) ?? Self.defaultKVMDevice
        timeoutSeconds =
            try container.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? Self.defaultTimeoutSeconds
        stateDir = try container.decodeIfPresent(String.self, forKey: .stateDir) ?? Self.defaultStateDir
    }

    /// Checks the values a caller supplied.
    public func validated() throws(DirtyRingError) -> ContextConfiguration {
        guard Self.timeoutRange.contains(timeoutSeconds) else {
            throw DirtyRingError(
                kind: .invalidRequest,
                message: "timeout_seconds = \(timeoutSeconds) is invalid: must be between "
                    + "\(Self.timeoutRange.lowerBound) and \(Self.timeoutRange.upperBound)")
        }
        guard stateDir.hasPrefix("/") else {
            throw DirtyRingError(
                kind: .invalidRequest, message: "state_dir = '\(stateDir)' is invalid: must be an absolute path")
        }
        return self
    }
}
