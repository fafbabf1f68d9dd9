/// The `[oslo_messaging_rabbit]` options that shape the exchange and the queue a notification
/// publisher declares (oslo.messaging 18.3.1 names and defaults).
public struct NotificationQueueOptions: Equatable, Sendable {
    /// `amqp_durable_queues` (false).
    public var amqpDurableQueues = false
    /// `amqp_auto_delete` (false): exchange and queue auto-delete.
    public var amqpAutoDelete = false
    /// `rabbit_ha_queues` (false): `x-ha-policy: all`.
    public var rabbitHAQueues = false
    /// `rabbit_quorum_queue` (false): `x-queue-type: quorum`, and durable whatever
    /// `amqp_durable_queues` says.
    public var rabbitQuorumQueue = false
    /// `rabbit_quorum_delivery_limit` (0: not set).
    public var rabbitQuorumDeliveryLimit = 0
    /// `rabbit_quorum_max_memory_length` (0: not set).
    public var rabbitQuorumMaxMemoryLength = 0
    /// `rabbit_quorum_max_memory_bytes` (0: not set).
    public var rabbitQuorumMaxMemoryBytes = 0

    public init() {}

    /// `RabbitDriver.durable`: quorum queues are durable.
    public var durable: Bool { amqpDurableQueues || rabbitQuorumQueue }

    /// `impl_rabbit._get_queue_arguments(ha, 0, quorum, quorum_config, False)` as
    /// `_publish_and_creates_default_queue` calls it: the TTL is 0 for notification queues, so
    /// never `x-expires`; never a stream. Insertion order as oslo's dict.
    public func queueArguments() throws(DirtyRingError) -> [(String, AMQPFieldValue)] {
        if rabbitQuorumQueue && rabbitHAQueues {
            throw DirtyRingError(
                kind: .invalidConfig,
                message: "rabbit_quorum_queue and rabbit_ha_queues both enabled, queue type is quorum or HA (mirrored) not both",
                option: "[oslo_messaging_rabbit] rabbit_quorum_queue", value: "True")
        }
        var arguments: [(String, AMQPFieldValue)] = []
        if rabbitHAQueues { arguments.append(("x-ha-policy", .string("all"))) }
        if rabbitQuorumQueue {
            arguments.append(("x-queue-type", .string("quorum")))
            if rabbitQuorumDeliveryLimit != 0 {
                arguments.append(("x-delivery-limit", .integer(Int64(rabbitQuorumDeliveryLimit))))
            }
            if rabbitQuorumMaxMemoryLength != 0 {
                arguments.append(("x-max-in-memory-length", .integer(Int64(rabbitQuorumMaxMemoryLength))))
            }
            if rabbitQuorumMaxMemoryBytes != 0 {
                arguments.append(("x-max-in-memory-bytes", .integer(Int64(rabbitQuorumMaxMemoryBytes))))
            }
        }
        return arguments
    }
}
