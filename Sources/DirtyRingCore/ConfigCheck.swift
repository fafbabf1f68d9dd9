/// The validation of the `[dirtyring]` options, alone or against a host.
public enum ConfigCheck {
    /// The request of `dr_config_check`.
    public struct Request: Codable, Sendable {
        public var config: RingConfig
        public var host: HostReport?

        public init(config: RingConfig, host: HostReport?) {
            self.config = config
            self.host = host
        }
    }

    /// The result of `dr_config_check`.
    public struct Result: Codable, Equatable, Sendable {
        /// The options with their defaults filled in.
        public var config: RingConfig
        /// Whether guests booted on the host get the ring unless they opt out.
        public var offersRing: Bool
        /// The host's largest ring; 0 without a host or when the host cannot run the ring.
        public var maxSize: Int
        /// The host's qualification of `ring_size`; nil without a host.
        public var qualification: RingQualification?
        /// Whether the host could offer the ring but has no current verdict for `ring_size`
        /// (never qualified, stale, or inconclusive): a qualification should run.
        public var needsQualification: Bool

        public init(
            config: RingConfig, offersRing: Bool, maxSize: Int, qualification: RingQualification? = nil,
            needsQualification: Bool = false
        ) {
            self.config = config
            self.offersRing = offersRing
            self.maxSize = maxSize
            self.qualification = qualification
            self.needsQualification = needsQualification
        }

        enum CodingKeys: String, CodingKey {
            case config, qualification
            case offersRing = "offers_ring"
            case maxSize = "max_size"
            case needsQualification = "needs_qualification"
        }
    }

    /// Checks `config` against `host`; without a host only the values themselves are checked.
    ///
    /// The host offers the ring only when it has a current, passed qualification for
    /// `ring_size`, and needs one when its verdict is unknown. Fails with `invalidConfig` when
    /// `ring_mode` is `on` on a host that cannot run the ring or whose qualification failed, or
    /// when `ring_size` exceeds the host's maximum while the mode is not `off`. (`on` with no
    /// verdict, or a stale one, is valid: the caller qualifies, then checks again; an
    /// inconclusive one is refused like a failed one.)
    public static func check(_ config: RingConfig, host: HostReport?) throws(DirtyRingError) -> Result {
        guard let host else {
            return Result(config: config, offersRing: false, maxSize: 0)
        }
        let support = host.dirtyRing
        guard config.mode != .off else {
            return Result(config: config, offersRing: false, maxSize: support.maxSize)
        }
        guard let maximum = support.maximumRing else {
            if config.mode == .on {
                throw DirtyRingError(
                    kind: .invalidConfig,
                    message: "\(RingConfig.modeOption) = on, but this host cannot run the dirty ring: "
                        + HostSupport.describe(support.reasons),
                    option: RingConfig.modeOption, value: RingMode.on.rawValue)
            }
            return Result(config: config, offersRing: false, maxSize: 0)
        }
        guard config.size <= maximum else {
            throw DirtyRingError(
                kind: .invalidConfig,
                message: "\(RingConfig.sizeOption) = \(config.size) exceeds this host's kernel maximum of "
                    + "\(maximum) entries: must be a power of two between \(RingSize.minimum) and \(maximum)",
                option: RingConfig.sizeOption, value: config.size.description)
        }
        let verdict = support.verdict(for: config.size)
        guard support.isQualified(config.size) else {
            if config.mode == .on, verdict.state == .failed || verdict.isInconclusive {
                throw DirtyRingError(
                    kind: .invalidConfig,
                    message: "\(RingConfig.modeOption) = on, but this host has not proven that a dirty ring of "
                        + "\(config.size) entries loses no write: "
                        + verdict.sentence
                        + " (run 'dirtyring qualify', or set \(RingConfig.modeOption) = auto to boot guests "
                        + "without the ring until it passes)",
                    option: RingConfig.modeOption, value: RingMode.on.rawValue)
            }
            return Result(
                config: config, offersRing: false, maxSize: maximum.entries, qualification: verdict,
                needsQualification: verdict.state == .unknown)
        }
        return Result(config: config, offersRing: true, maxSize: maximum.entries, qualification: verdict)
    }
}

extension HostSupport {
    /// The reasons joined for one line of text.
    static func describe(_ reasons: [String]) -> String {
        reasons.isEmpty ? "no reason reported" : reasons.joined(separator: "; ")
    }
}
