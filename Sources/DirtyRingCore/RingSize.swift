/// The number of entries in a vCPU's dirty ring: a power of two that libvirt accepts.
public struct RingSize: Hashable, Comparable, Sendable {
    /// The number of entries.
    public let entries: Int

    /// The smallest ring libvirt accepts.
    public static let minimum = RingSize(unchecked: 1024)
    /// The largest ring libvirt accepts.
    public static let maximum = RingSize(unchecked: 65536)
    /// Every ring size libvirt accepts, smallest first.
    public static let allowedValues: [RingSize] = [1024, 2048, 4096, 8192, 16384, 32768, 65536]
        .map(RingSize.init(unchecked:))
    /// The size used when the configuration names none.
    public static let `default` = RingSize(unchecked: 4096)

    /// The operator-facing statement of what a valid size is.
    public static let requirement = "must be a power of two between \(minimum.entries) and \(maximum.entries)"

    /// A ring of `entries` entries, or nil when libvirt would refuse that size.
    public init?(entries: Int) {
        guard entries >= RingSize.minimum.entries, entries <= RingSize.maximum.entries,
              entries & (entries - 1) == 0
        else { return nil }
        self.entries = entries
    }

    /// A ring parsed from decimal text such as `"8192"`, or nil when the text is not a valid size.
    public init?(parsing text: String) {
        guard let entries = DecimalInteger.parse(text) else { return nil }
        self.init(entries: entries)
    }

    /// The largest valid ring that is not larger than `limit` entries, or nil when even the
    /// smallest ring exceeds it.
    public static func largest(notAbove limit: Int) -> RingSize? {
        allowedValues.last { $0.entries <= limit }
    }

    private init(unchecked entries: Int) {
        self.entries = entries
    }

    public static func < (lhs: RingSize, rhs: RingSize) -> Bool {
        lhs.entries < rhs.entries
    }
}

extension RingSize: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let entries = try container.decode(Int.self)
        guard let size = RingSize(entries: entries) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\(entries) is invalid: \(RingSize.requirement)")
        }
        self = size
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(entries)
    }
}

extension RingSize: CustomStringConvertible {
    public var description: String { String(entries) }
}
