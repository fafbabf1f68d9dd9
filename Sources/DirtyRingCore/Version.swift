/// A `major.minor.release` version of libvirt or QEMU.
public struct Version: Hashable, Comparable, Sendable {
    public var major: Int
    public var minor: Int
    public var release: Int

    public init(_ major: Int, _ minor: Int, _ release: Int = 0) {
        self.major = major
        self.minor = minor
        self.release = release
    }

    /// Parses `"9.0.0"` or `"9.0"`; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.utf8.count <= 9,
                  part.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let number = Int(part)
            else { return nil }
            numbers.append(number)
        }
        self.init(numbers.first ?? 0, numbers.dropFirst().first ?? 0, numbers.dropFirst(2).first ?? 0)
    }

    /// Decodes libvirt's integer form, `major * 1_000_000 + minor * 1000 + release`.
    public init?(libvirtInteger value: Int) {
        guard value >= 0 else { return nil }
        self.init(value / 1_000_000, (value / 1000) % 1000, value % 1000)
    }

    public static func < (lhs: Version, rhs: Version) -> Bool {
        (lhs.major, lhs.minor, lhs.release) < (rhs.major, rhs.minor, rhs.release)
    }
}

extension Version: CustomStringConvertible {
    public var description: String { "\(major).\(minor).\(release)" }
}

extension Version: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let version = Version(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a version such as 9.0.0")
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
