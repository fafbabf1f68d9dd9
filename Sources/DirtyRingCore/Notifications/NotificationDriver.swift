/// A value of `[oslo_messaging_notifications] driver` (a multi-valued option; empty by default,
/// which disables notifications). Only the two messaging drivers put anything on RabbitMQ.
public enum NotificationDriver: Equatable, Sendable {
    /// `messagingv2`: the 2.0 envelope (what Nova deployments use).
    case messagingV2
    /// `messaging`: message format 1.0, the message itself without an envelope.
    case messaging
    /// `log`, `routing`, `test`, `noop`: nothing is published to the broker.
    case other(String)

    public init(name: String) {
        switch name {
        case "messagingv2": self = .messagingV2
        case "messaging": self = .messaging
        default: self = .other(name)
        }
    }

    /// Whether this driver publishes to the broker.
    public var publishes: Bool {
        if case .other = self { return false }
        return true
    }
}
