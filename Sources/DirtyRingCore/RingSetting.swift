/// Where a guest's dirty-ring setting comes from, strongest first.
public enum RingSettingSource: String, Codable, Sendable, CaseIterable {
    case flavor
    case image
    case host

    /// The key that turns the ring on or off at this level.
    var ringKey: String {
        switch self {
        case .flavor: "dirtyring:ring"
        case .image: "dirtyring_ring"
        case .host: RingConfig.modeOption
        }
    }

    /// The key that sets the ring size at this level.
    var sizeKey: String {
        switch self {
        case .flavor: "dirtyring:ring_size"
        case .image: "dirtyring_ring_size"
        case .host: RingConfig.sizeOption
        }
    }

    /// How the level is named in a sentence.
    var noun: String {
        switch self {
        case .flavor: "flavor extra spec"
        case .image: "image property"
        case .host: "host option"
        }
    }
}

/// The dirty-ring keys of one flavor or image, validated.
struct RingSetting: Equatable, Sendable {
    var mode: RingMode?
    var size: RingSize?

    /// Reads the keys of `source` from `values`, the flavor's extra specs or the image's
    /// properties; other keys are ignored.
    init(_ values: [String: JSONValue], source: RingSettingSource) throws(DirtyRingError) {
        switch values[source.ringKey] {
        case nil, .null?:
            mode = nil
        case .string(let text)?:
            guard let parsed = RingMode(parsing: text) else {
                throw Self.invalid(source.ringKey, text, source: source, requirement: RingMode.requirement)
            }
            mode = parsed
        case let other?:
            throw Self.invalid(source.ringKey, other.text, source: source, requirement: RingMode.requirement)
        }
        switch values[source.sizeKey] {
        case nil, .null?:
            size = nil
        case .string(let text)?:
            guard let parsed = RingSize(parsing: text) else {
                throw Self.invalid(source.sizeKey, text, source: source, requirement: RingSize.requirement)
            }
            size = parsed
        case .integer(let entries)?:
            guard let parsed = RingSize(entries: entries) else {
                throw Self.invalid(source.sizeKey, String(entries), source: source, requirement: RingSize.requirement)
            }
            size = parsed
        case let other?:
            throw Self.invalid(source.sizeKey, other.text, source: source, requirement: RingSize.requirement)
        }
    }

    private static func invalid(
        _ key: String, _ value: String, source: RingSettingSource, requirement: String
    ) -> DirtyRingError {
        DirtyRingError(
            kind: .invalidRequest,
            message: "\(source.noun) \(key) = '\(value)' is invalid: \(requirement)")
    }
}
