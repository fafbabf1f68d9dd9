/// Whether guests get the dirty ring: always, never, or when the host supports it.
public enum RingMode: String, Codable, Sendable, CaseIterable {
    case auto
    case on
    case off

    /// The operator-facing statement of the valid modes.
    static let requirement = "must be one of " + allCases.map(\.rawValue).joined(separator: ", ")

    /// The mode named by `text`, ignoring case and surrounding spaces, or nil.
    init?(parsing text: String) {
        var trimmed = Substring(text)
        while trimmed.first == " " { trimmed = trimmed.dropFirst() }
        while trimmed.last == " " { trimmed = trimmed.dropLast() }
        self.init(rawValue: trimmed.lowercased())
    }
}
