/// A message fetched from a queue with basic.get.
public struct AMQPReceivedMessage: Equatable, Sendable {
    public var exchange: String
    public var routingKey: String
    public var redelivered: Bool
    public var properties: AMQPMessageProperties
    public var body: [UInt8]
}
