/// Fresh identifiers for a notification: `message_id` is `str(uuid.uuid4())`, `_unique_id` is
/// `uuid.uuid4().hex` (two independent UUIDs, as oslo draws them).
public struct NotificationIdentifiers: Equatable, Sendable {
    public var messageID: String
    public var uniqueID: String

    public init<G: RandomNumberGenerator>(using generator: inout G) {
        messageID = Self.uuid4(using: &generator, hyphens: true)
        uniqueID = Self.uuid4(using: &generator, hyphens: false)
    }

    public init() {
        var generator = SystemRandomNumberGenerator()
        self.init(using: &generator)
    }

    /// A version 4, RFC 4122 variant UUID in lower-case hex.
    public static func uuid4<G: RandomNumberGenerator>(using generator: inout G, hyphens: Bool) -> String {
        // Two 64-bit draws: one system call each with the system generator, not sixteen.
        let high = generator.next() & 0xFFFF_FFFF_FFFF_0FFF | 0x0000_0000_0000_4000
        let low = generator.next() & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for index in 0..<16 {
            if hyphens, index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            let byte = UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> UInt64(8 * (7 - index % 8)))
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
