/// The priority of an oslo notification: `Notifier.audit()`, `.debug()`, `.info()`, `.warn()`
/// (and its alias `.warning()`, which sends `WARN` too), `.error()`, `.critical()`, `.sample()`.
///
/// On the wire the message carries it upper case; the routing key ends with it lower case.
/// oslo listeners drop a message whose priority is not one of these (e.g. `WARNING`).
public enum NotificationPriority: String, CaseIterable, Sendable {
    case audit = "AUDIT"
    case debug = "DEBUG"
    case info = "INFO"
    case warn = "WARN"
    case error = "ERROR"
    case critical = "CRITICAL"
    case sample = "SAMPLE"

    /// The `Notifier` method name, case-insensitively; `warning` is oslo's alias of `warn`.
    public init?(method: String) {
        let name = method.lowercased()
        if name == "warning" {
            self = .warn
            return
        }
        guard let priority = Self.allCases.first(where: { $0.routingSuffix == name }) else { return nil }
        self = priority
    }

    /// The `priority` field of the message.
    public var wireName: String { rawValue }

    /// The last component of the routing key (`MessagingDriver.notify` lower-cases it).
    public var routingSuffix: String { rawValue.lowercased() }
}
