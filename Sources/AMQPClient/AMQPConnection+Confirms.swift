internal import CRabbitMQ
import DirtyRingCore
import Glibc

/// Publishing under publisher confirms.
extension AMQPConnection {
    /// Turns on publisher confirms for the channel; every later publish gets a delivery tag.
    public func confirmSelect() throws(AMQPError) {
        let state = try usable()
        guard nextDeliveryTag == 0 else { return }
        amqp_confirm_select(state, Self.channel)
        try checkReply("confirm.select")
        nextDeliveryTag = 1
    }

    /// Sends one message; returns its delivery tag for `waitForConfirm` (0 when confirms are
    /// off). Does not wait for the broker.
    @discardableResult
    public func publish(exchange: String, routingKey: String, mandatory: Bool = false, immediate: Bool = false,
                        properties: AMQPMessageProperties, body: [UInt8]) throws(AMQPError) -> UInt64 {
        let state = try usable()
        guard exchange.utf8.count <= 255, routingKey.utf8.count <= 255 else {
            throw AMQPError(kind: .invalidArgument, text: "exchange and routing key must be at most 255 bytes",
                            address: address)
        }
        let arena = CArena()
        var cProperties = amqp_basic_properties_t()
        if let contentType = properties.contentType {
            cProperties._flags |= UInt32(AMQP_BASIC_CONTENT_TYPE_FLAG)
            cProperties.content_type = arena.bytes(contentType)
        }
        if let contentEncoding = properties.contentEncoding {
            cProperties._flags |= UInt32(AMQP_BASIC_CONTENT_ENCODING_FLAG)
            cProperties.content_encoding = arena.bytes(contentEncoding)
        }
        if let headers = properties.headers {
            cProperties._flags |= UInt32(AMQP_BASIC_HEADERS_FLAG)
            cProperties.headers = arena.table(headers.compactMap { key, value in value.map { (key, $0) } })
        }
        if let deliveryMode = properties.deliveryMode {
            cProperties._flags |= UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG)
            cProperties.delivery_mode = deliveryMode
        }
        if let priority = properties.priority {
            cProperties._flags |= UInt32(AMQP_BASIC_PRIORITY_FLAG)
            cProperties.priority = priority
        }
        let status = amqp_basic_publish(state, Self.channel, arena.bytes(exchange), arena.bytes(routingKey),
                                        mandatory ? 1 : 0, immediate ? 1 : 0, &cProperties, arena.bytes(body))
        guard status == AMQP_STATUS_OK.rawValue else {
            throw fail(AMQPError(kind: status == AMQP_STATUS_TIMEOUT.rawValue ? .timeout : .connectionLost,
                                 text: "basic.publish: \(Self.statusText(status))", address: address))
        }
        guard nextDeliveryTag > 0 else { return 0 }
        let tag = nextDeliveryTag
        nextDeliveryTag += 1
        unconfirmed.append(tag)
        return tag
    }

    /// Reads frames from the broker until it acks or nacks `deliveryTag` or `timeout` passes,
    /// servicing heartbeats and noting connection.blocked / unblocked on the way. Throws when
    /// the broker closes the channel or connection, or the socket fails.
    public func waitForConfirm(deliveryTag: UInt64, timeout: Duration) throws(AMQPError) -> AMQPConfirm {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if let outcome = settled.removeValue(forKey: deliveryTag) { return outcome }
            guard unconfirmed.contains(deliveryTag) else {
                _ = try usable()
                throw AMQPError(kind: .invalidArgument, text: "no unconfirmed message with delivery tag \(deliveryTag)",
                                address: address)
            }
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { return .timeout }
            try readFrames(timeout: remaining)
        }
    }

    /// Waits up to `timeout` (zero: not at all) for the broker to send something, then applies
    /// every frame that has arrived: confirms (collected for `takeConfirms`), connection.blocked
    /// and unblocked, a close. Sends a heartbeat when one is due and fails with `connectionLost`
    /// when the broker's heartbeats stopped. Returns whether any frame was read.
    @discardableResult
    public func readFrames(timeout: Duration) throws(AMQPError) -> Bool {
        var wait = timeout
        var read = false
        while true {
            let state = try usable()
            var frame = amqp_frame_t()
            var limit = timeval(max(wait, .zero))
            let status = amqp_simple_wait_frame_noblock(state, &frame, &limit)
            if status == AMQP_STATUS_TIMEOUT.rawValue { return read }
            guard status == AMQP_STATUS_OK.rawValue else {
                throw fail(AMQPError(kind: .connectionLost, text: "reading from the broker: \(Self.statusText(status))",
                                     address: address))
            }
            read = true
            try handle(frame)
            amqp_maybe_release_buffers(state)
            guard amqp_frames_enqueued(state) != 0 || amqp_data_in_buffer(state) != 0 else { return read }
            wait = .zero
        }
    }

    /// The acks and nacks received since the last call, by ascending delivery tag.
    public func takeConfirms() -> [(deliveryTag: UInt64, outcome: AMQPConfirm)] {
        let taken = settled.sorted { $0.key < $1.key }.map { (deliveryTag: $0.key, outcome: $0.value) }
        settled.removeAll()
        return taken
    }

    /// Published messages the broker has not acked or nacked yet.
    public var unconfirmedCount: Int { unconfirmed.count }

    /// Applies one asynchronous frame; content frames of returned messages are ignored.
    private func handle(_ frame: amqp_frame_t) throws(AMQPError) {
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return }
        let method = frame.payload.method
        switch method.id {
        case AMQPMethod.basicAck, AMQPMethod.basicNack:
            guard frame.channel == Self.channel, let decoded = method.decoded else { return }
            // basic.nack starts with the same delivery-tag and multiple fields as basic.ack.
            let ack = decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            settle(ack.delivery_tag, multiple: ack.multiple != 0,
                   as: method.id == AMQPMethod.basicAck ? .ack : .nack)
        case AMQPMethod.connectionBlocked:
            isBlocked = true
        case AMQPMethod.connectionUnblocked:
            isBlocked = false
        default:
            if let error = serverClose(id: method.id, decoded: method.decoded) { throw fail(error) }
        }
    }

    private func settle(_ tag: UInt64, multiple: Bool, as outcome: AMQPConfirm) {
        let done = unconfirmed.filter { multiple ? $0 <= tag : $0 == tag }
        unconfirmed.removeAll { multiple ? $0 <= tag : $0 == tag }
        for settledTag in done { settled[settledTag] = outcome }
    }
}
