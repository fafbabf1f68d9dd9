/// The `[dirtyring]` options of nova-compute, validated.
public struct RingConfig: Equatable, Sendable {
    /// `[dirtyring] ring_mode`.
    public var mode: RingMode
    /// `[dirtyring] ring_size`.
    public var size: RingSize

    /// The option names, as an operator writes them.
    public static let modeOption = "[dirtyring] ring_mode"
    public static let sizeOption = "[dirtyring] ring_size"

    public init(mode: RingMode = .auto, size: RingSize = .default) {
        self.mode = mode
        self.size = size
    }

    /// Validates the options as read from the configuration file; nil stands for an option that
    /// is not set.
    public init(ringMode: String?, ringSize: Int?) throws(DirtyRingError) {
        try self.init(mode: ringMode.map(JSONValue.string), size: ringSize.map(JSONValue.integer))
    }

    init(mode modeValue: JSONValue?, size sizeValue: JSONValue?) throws(DirtyRingError) {
        var mode = RingMode.auto
        switch modeValue {
        case nil, .null?:
            break
        case .string(let text)?:
            guard let parsed = RingMode(rawValue: text) else { throw Self.invalidMode(text) }
            mode = parsed
        case let other?:
            throw Self.invalidMode(other.text)
        }
        var size = RingSize.default
        switch sizeValue {
        case nil, .null?:
            break
        case .integer(let entries)?:
            guard let parsed = RingSize(entries: entries) else { throw Self.invalidSize(String(entries)) }
            size = parsed
        case let other?:
            throw Self.invalidSize(other.text)
        }
        self.init(mode: mode, size: size)
    }

    static func invalidMode(_ value: String) -> DirtyRingError {
        DirtyRingError(
            kind: .invalidConfig,
            message: "\(modeOption) = '\(value)' is invalid: \(RingMode.requirement)",
            option: modeOption, value: value)
    }

    static func invalidSize(_ value: String) -> DirtyRingError {
        DirtyRingError(
            kind: .invalidConfig,
            message: "\(sizeOption) = \(value) is invalid: \(RingSize.requirement)",
            option: sizeOption, value: value)
    }
}

extension RingConfig: Codable {
    enum CodingKeys: String, CodingKey {
        case mode = "ring_mode"
        case size = "ring_size"
    }

    /// Decodes the JSON `config` shape; a value out of range throws a `DirtyRingError` of kind
    /// `invalidConfig` naming the option.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            mode: try container.decodeIfPresent(JSONValue.self, forKey: .mode),
            size: try container.decodeIfPresent(JSONValue.self, forKey: .size))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode, forKey: .mode)
        try container.encode(size, forKey: .size)
    }
}
