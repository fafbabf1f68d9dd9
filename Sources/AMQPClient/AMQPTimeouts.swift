/// Upper bounds for every wait on the broker.
public struct AMQPTimeouts: Equatable, Sendable {
    /// TCP (and TLS) connection establishment.
    public var connect: Duration
    /// The AMQP handshake and login.
    public var handshake: Duration
    /// Each synchronous method (channel.open, declarations, confirm.select, basic.get, close).
    public var rpc: Duration
    /// How long data written to the socket may stay unacknowledged by the peer before the
    /// kernel fails the connection (a dead broker host or a broken network path).
    public var unacknowledgedSend: Duration

    public init(connect: Duration = .seconds(5), handshake: Duration = .seconds(10), rpc: Duration = .seconds(10),
                unacknowledgedSend: Duration = .seconds(30)) {
        self.connect = connect
        self.handshake = handshake
        self.rpc = rpc
        self.unacknowledgedSend = unacknowledgedSend
    }
}
