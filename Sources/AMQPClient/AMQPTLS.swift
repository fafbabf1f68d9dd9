/// TLS settings for a broker connection (oslo's `ssl_*` options).
public struct AMQPTLS: Equatable, Sendable {
    /// PEM file of trusted CAs; empty trusts nothing extra and verifies nothing.
    public var caFile: String
    /// Client certificate and key (PEM); both empty for no client certificate.
    public var certFile: String
    public var keyFile: String
    /// Whether the broker's certificate must chain to `caFile`.
    public var verifyPeer: Bool
    /// Whether the certificate must also name the host connected to.
    public var verifyHostname: Bool

    public init(caFile: String = "", certFile: String = "", keyFile: String = "", verifyPeer: Bool = false,
                verifyHostname: Bool = false) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.verifyPeer = verifyPeer
        self.verifyHostname = verifyHostname
    }
}
