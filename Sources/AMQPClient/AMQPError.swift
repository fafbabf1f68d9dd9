/// A failure talking to the broker: what went wrong, the broker's reply code and text when it
/// closed the channel or connection, and the broker address. Never contains a password.
public struct AMQPError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// An argument the protocol cannot carry (too long, NUL byte, port out of range).
        case invalidArgument
        /// The TCP (or TLS) connection could not be established.
        case connectFailed
        /// The TLS configuration was rejected (unreadable CA, certificate or key).
        case tlsFailed
        /// The broker refused the login or closed the connection during the handshake.
        case loginFailed
        /// A bounded wait (connect, handshake, RPC) ran out; the connection is unusable.
        case timeout
        /// The broker closed the channel (e.g. 406 PRECONDITION_FAILED, 404 NOT_FOUND).
        case channelClosed
        /// The broker closed the connection (e.g. 320 CONNECTION_FORCED).
        case connectionClosed
        /// The socket failed or the peer went away.
        case connectionLost
        /// The connection was already closed or failed before this call.
        case closed
    }

    public var kind: Kind
    /// The AMQP reply code the broker sent with channel.close or connection.close.
    public var replyCode: Int?
    /// The broker's reply text or the library's description.
    public var text: String
    /// `host:port` of the broker.
    public var address: String

    public init(kind: Kind, replyCode: Int? = nil, text: String, address: String) {
        self.kind = kind
        self.replyCode = replyCode
        self.text = text
        self.address = address
    }

    public var description: String {
        "AMQP \(kind.rawValue) (\(address))" + (replyCode.map { " \($0)" } ?? "") + ": \(text)"
    }
}
