/// The broker's answer to one published message under publisher confirms.
public enum AMQPConfirm: Equatable, Sendable {
    /// basic.ack: the broker took responsibility for the message.
    case ack
    /// basic.nack: the broker could not take it; publish again.
    case nack
    /// No answer within the wait; the message may still be confirmed later.
    case timeout
}
