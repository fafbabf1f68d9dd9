/// Upper bounds for every wait on the broker.
public struct AMQPTimeouts: Equatable, Sendable {
    /// TCP (and TLS) connection establishment.
    public var connect: Duration
    /// The AMQP handshake and login.
    public var handshake: Duration
    /// Each synchronous method (channel.open, declarations, confirm.select, basic.get, close).
    public var rpc: Duration

    public init(connect: Duration = .seconds(5), handshake: Duration = .seconds(10), rpc: Duration = .seconds(10)) {
        self.connect = connect
        self.handshake = handshake
        self.rpc = rpc
    }
}
