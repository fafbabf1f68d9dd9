import AMQPClient
import DirtyRingCore

/// Where and how to connect for notifications: the `transport_url` hosts in order, its virtual
/// host, and the `[oslo_messaging_rabbit]` TLS and heartbeat settings (query overrides applied).
public struct NotificationBroker: Equatable, Sendable {
    public var hosts: [TransportURL.Host]
    public var virtualHost: String
    public var tls: AMQPTLS?
    /// `heartbeat_timeout_threshold`; 0 disables heartbeats.
    public var heartbeatSeconds: Int
    /// Bounds for each host attempt and each broker call.
    public var timeouts: AMQPTimeouts

    public init(url: TransportURL, options: RabbitOptions, timeouts: AMQPTimeouts = AMQPTimeouts()) throws(DirtyRingError) {
        let effective = try options.overridden(by: url)
        hosts = url.hosts
        virtualHost = url.virtualHost
        // oslo verifies the broker's certificate only when given a CA file.
        tls = effective.ssl
            ? AMQPTLS(caFile: effective.sslCAFile, certFile: effective.sslCertFile, keyFile: effective.sslKeyFile,
                      verifyPeer: !effective.sslCAFile.isEmpty,
                      verifyHostname: effective.sslEnforceHostnameVerification)
            : nil
        heartbeatSeconds = min(max(effective.heartbeatTimeoutThreshold, 0), 65535)
        self.timeouts = timeouts
    }
}
