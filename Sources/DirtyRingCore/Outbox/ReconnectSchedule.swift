/// When to try the broker again, as oslo.messaging's rabbit driver does through kombu:
/// the first retry after `[oslo_messaging_rabbit] rabbit_retry_interval` seconds, each later one
/// `rabbit_retry_backoff` seconds longer, never more than `rabbit_interval_max`. A successful
/// connection starts over.
public struct ReconnectSchedule: Equatable, Sendable {
    public var interval: Double
    public var backoff: Double
    public var maximum: Double
    /// Failed attempts since the last success.
    public private(set) var failures = 0

    public init(interval: Double, backoff: Double, maximum: Double) {
        self.interval = max(0, interval)
        self.backoff = max(0, backoff)
        self.maximum = max(0, maximum)
    }

    public init(_ options: RabbitOptions) {
        self.init(interval: Double(options.rabbitRetryInterval), backoff: Double(options.rabbitRetryBackoff),
                  maximum: Double(options.rabbitIntervalMax))
    }

    /// Records a failed attempt; returns the seconds to wait before the next.
    public mutating func failed() -> Double {
        let delay = min(interval + backoff * Double(failures), maximum)
        failures += 1
        return delay
    }

    public mutating func succeeded() {
        failures = 0
    }
}
