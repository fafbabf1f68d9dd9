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
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let digits = Array("0123456789abcdef")
        var text = ""
        for (index, byte) in bytes.enumerated() {
            if hyphens, [4, 6, 8, 10].contains(index) { text += "-" }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return text
    }
}
