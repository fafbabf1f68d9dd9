/// The choice of whether a guest boots with the dirty ring, and how large: flavor over image
/// over host.
public enum RingDecision {
    /// The request of `dr_ring_decide`.
    public struct Request: Decodable, Sendable {
        public var config: RingConfig
        public var host: HostReport
        /// The flavor's extra specs; only the `dirtyring:` keys are read.
        var flavorExtraSpecs: [String: JSONValue]
        /// The image's properties (from the instance's system metadata); only the `dirtyring_`
        /// keys are read.
        var imageProperties: [String: JSONValue]

        public init(
            config: RingConfig, host: HostReport, flavorExtraSpecs: [String: String] = [:],
            imageProperties: [String: String] = [:]
        ) {
            self.config = config
            self.host = host
            self.flavorExtraSpecs = flavorExtraSpecs.mapValues(JSONValue.string)
            self.imageProperties = imageProperties.mapValues(JSONValue.string)
        }

        enum CodingKeys: String, CodingKey {
            case config, host
            case flavorExtraSpecs = "flavor_extra_specs"
            case imageProperties = "image_properties"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            config = try container.decode(RingConfig.self, forKey: .config)
            host = try container.decode(HostReport.self, forKey: .host)
            flavorExtraSpecs = try container.decodeIfPresent([String: JSONValue].self, forKey: .flavorExtraSpecs) ?? [:]
            imageProperties = try container.decodeIfPresent([String: JSONValue].self, forKey: .imageProperties) ?? [:]
        }
    }

    /// The result of `dr_ring_decide`.
    public struct Result: Codable, Equatable, Sendable {
        public var enabled: Bool
        /// Entries per vCPU ring; 0 when disabled.
        public var size: Int
        /// The level that decided whether the ring is on.
        public var source: RingSettingSource
        /// One sentence for an operator.
        public var reason: String

        public init(enabled: Bool, size: Int, source: RingSettingSource, reason: String) {
            self.enabled = enabled
            self.size = size
            self.source = source
            self.reason = reason
        }
    }

    /// Decides for one guest.
    ///
    /// Every dirty-ring key present in the flavor or image must be valid, even where a stronger
    /// level overrides it. `auto` defers to the next level, as if the key were absent; the first
    /// explicit `on` or `off` decides, and otherwise the host's offer does. Fails with
    /// `unsupported` when an explicit `on` cannot be honoured here.
    public static func decide(_ request: Request) throws(DirtyRingError) -> Result {
        _ = try ConfigCheck.check(request.config, host: request.host)
        let flavor = try RingSetting(request.flavorExtraSpecs, source: .flavor)
        let image = try RingSetting(request.imageProperties, source: .image)

        let (size, sizeSource): (RingSize, RingSettingSource) =
            if let size = flavor.size { (size, .flavor) }
            else if let size = image.size { (size, .image) }
            else { (request.config.size, .host) }
        let sizeText = "\(size) entries (\(sizeSource.sizeKey))"

        let explicit: (RingMode, RingSettingSource)? =
            if let mode = flavor.mode, mode != .auto { (mode, .flavor) }
            else if let mode = image.mode, mode != .auto { (mode, .image) }
            else { nil }

        let obstacle = RingObstacle(size: size, mode: request.config.mode, support: request.host.dirtyRing)?
            .describe(remote: false)
        switch explicit {
        case (.off, let source)?:
            return Result(enabled: false, size: 0, source: source,
                          reason: "dirty ring off: \(source.noun) \(source.ringKey) = off")
        case (_, let source)?:
            if let obstacle {
                throw DirtyRingError(
                    kind: .unsupported,
                    message: "\(source.rawValue) requests \(source.ringKey)=on but host cannot run the "
                        + "dirty ring: \(obstacle)")
            }
            return Result(enabled: true, size: size.entries, source: source,
                          reason: "dirty ring on: \(source.noun) \(source.ringKey) = on, \(sizeText)")
        case nil:
            if let obstacle {
                return Result(enabled: false, size: 0, source: .host, reason: "dirty ring off: \(obstacle)")
            }
            return Result(enabled: true, size: size.entries, source: .host,
                          reason: "dirty ring on: this host offers it (\(RingConfig.modeOption) = "
                            + "\(request.config.mode)), \(sizeText)")
        }
    }
}
