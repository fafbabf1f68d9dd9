internal import CRabbitMQ
import DirtyRingCore
import Glibc

/// One AMQP 0-9-1 connection with one channel (channel 1), PLAIN login and bounded waits.
/// Not thread-safe: use it from one thread at a time (rabbitmq-c's rule). After the broker
/// closes the channel or connection, or a wait times out, every call throws that error.
public final class AMQPConnection {
    static let channel: amqp_channel_t = 1

    var state: amqp_connection_state_t?
    /// `host:port`, for errors.
    public let address: String
    private let password: String
    /// The first failure that made the connection unusable.
    var failure: AMQPError?
    var channelOpen = false
    /// Delivery tag the next publish gets once confirms are on; 0 while they are off.
    var nextDeliveryTag: UInt64 = 0
    /// Published, not yet acked or nacked, ascending.
    var unconfirmed: [UInt64] = []
    /// Acked or nacked, not yet handed to `waitForConfirm`.
    var settled: [UInt64: AMQPConfirm] = [:]
    /// Whether the broker has sent connection.blocked (a resource alarm) and not yet unblocked.
    public internal(set) var isBlocked = false

    private init(state: amqp_connection_state_t, address: String, password: String) {
        self.state = state
        self.address = address
        self.password = password
    }

    deinit {
        if let state { amqp_destroy_connection(state) }
    }

    /// Connects, logs in with PLAIN and opens channel 1.
    /// - Parameters:
    ///   - host: a name, an IPv4 address or a bare IPv6 address (no brackets).
    ///   - heartbeatSeconds: the heartbeat to propose; 0 disables heartbeats. Heartbeats are
    ///     only serviced while the caller is inside a call on this connection (`readFrames`).
    ///   - connectionName: shown by RabbitMQ for this connection; empty for none.
    public static func open(host: String, port: Int, virtualHost: String, user: String, password: String,
                            tls: AMQPTLS? = nil, heartbeatSeconds: Int = 60, connectionName: String = "",
                            timeouts: AMQPTimeouts = AMQPTimeouts()) throws(AMQPError) -> AMQPConnection {
        let address = (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        func invalid(_ text: String) -> AMQPError { AMQPError(kind: .invalidArgument, text: text, address: address) }
        guard (1...65535).contains(port) else { throw invalid("port must be 1 to 65535") }
        guard (0...65535).contains(heartbeatSeconds) else { throw invalid("heartbeat must be 0 to 65535 seconds") }
        for (name, value) in [("host", host), ("virtual host", virtualHost), ("user", user), ("password", password),
                              ("connection name", connectionName)]
        where value.utf8.contains(0) {
            throw invalid("\(name) contains a NUL byte")
        }
        for path in [tls?.caFile, tls?.certFile, tls?.keyFile].compactMap({ $0 }) where path.utf8.contains(0) {
            throw invalid("TLS file path contains a NUL byte")
        }
        guard let state = amqp_new_connection() else {
            throw AMQPError(kind: .connectFailed, text: "out of memory", address: address)
        }
        let connection = AMQPConnection(state: state, address: address, password: password)
        let arena = CArena()
        let socket: OpaquePointer?
        if let tls {
            socket = amqp_ssl_socket_new(state)
            guard let socket else { throw AMQPError(kind: .tlsFailed, text: "cannot create a TLS socket", address: address) }
            amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
            amqp_ssl_socket_set_verify_hostname(socket, tls.verifyHostname ? 1 : 0)
            if !tls.caFile.isEmpty {
                try connection.checkTLS(amqp_ssl_socket_set_cacert(socket, arena.cString(tls.caFile)), "ssl_ca_file")
            }
            if !tls.certFile.isEmpty || !tls.keyFile.isEmpty {
                try connection.checkTLS(amqp_ssl_socket_set_key(socket, arena.cString(tls.certFile),
                                                                arena.cString(tls.keyFile)), "ssl_cert_file/ssl_key_file")
            }
        } else {
            socket = amqp_tcp_socket_new(state)
        }
        guard let socket else { throw AMQPError(kind: .connectFailed, text: "cannot create a socket", address: address) }
        var handshake = timeval(timeouts.handshake)
        var rpc = timeval(timeouts.rpc)
        amqp_set_handshake_timeout(state, &handshake)
        amqp_set_rpc_timeout(state, &rpc)

        var connect = timeval(timeouts.connect)
        let opened = amqp_socket_open_noblock(socket, arena.cString(host), Int32(port), &connect)
        guard opened == AMQP_STATUS_OK.rawValue else {
            throw AMQPError(kind: opened == AMQP_STATUS_TIMEOUT.rawValue ? .timeout : .connectFailed,
                            text: connection.scrubbed(statusText(opened)), address: address)
        }
        connection.boundUnacknowledgedSends(timeouts.unacknowledgedSend)
        let login = dirtyring_amqp_login_plain(state, arena.cString(virtualHost), 0, 131_072, Int32(heartbeatSeconds),
                                               arena.cString(connectionName), arena.cString(user),
                                               arena.cString(password))
        if let error = connection.error(from: login) {
            connection.failure = error
            throw AMQPError(kind: error.kind == .timeout ? .timeout : .loginFailed, replyCode: error.replyCode,
                            text: error.text, address: address)
        }
        amqp_channel_open(state, channel)
        try connection.checkReply("channel.open")
        connection.channelOpen = true
        return connection
    }

    /// Declares an exchange; no arguments.
    public func declareExchange(_ name: String, type: String, passive: Bool = false, durable: Bool,
                                autoDelete: Bool, internal: Bool = false) throws(AMQPError) {
        let state = try usable()
        let arena = CArena()
        amqp_exchange_declare(state, Self.channel, arena.bytes(name), arena.bytes(type), passive ? 1 : 0,
                              durable ? 1 : 0, autoDelete ? 1 : 0, `internal` ? 1 : 0, arena.table([]))
        try checkReply("exchange.declare \(name)")
    }

    /// Declares a queue with `arguments` (e.g. `x-queue-type`).
    public func declareQueue(_ name: String, passive: Bool = false, durable: Bool, exclusive: Bool = false,
                             autoDelete: Bool, arguments: [(String, AMQPFieldValue)] = []) throws(AMQPError) {
        let state = try usable()
        let arena = CArena()
        amqp_queue_declare(state, Self.channel, arena.bytes(name), passive ? 1 : 0, durable ? 1 : 0,
                           exclusive ? 1 : 0, autoDelete ? 1 : 0, arena.table(arguments))
        try checkReply("queue.declare \(name)")
    }

    /// Binds `queue` to `exchange` with `routingKey`; no arguments.
    public func bind(queue: String, exchange: String, routingKey: String) throws(AMQPError) {
        let state = try usable()
        let arena = CArena()
        amqp_queue_bind(state, Self.channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey),
                        arena.table([]))
        try checkReply("queue.bind \(queue)")
    }

    /// Deletes an exchange (no error when it does not exist).
    public func deleteExchange(_ name: String) throws(AMQPError) {
        let state = try usable()
        let arena = CArena()
        amqp_exchange_delete(state, Self.channel, arena.bytes(name), 0)
        try checkReply("exchange.delete \(name)")
    }

    /// Deletes a queue and the messages in it (no error when it does not exist).
    public func deleteQueue(_ name: String) throws(AMQPError) {
        let state = try usable()
        let arena = CArena()
        amqp_queue_delete(state, Self.channel, arena.bytes(name), 0, 0)
        try checkReply("queue.delete \(name)")
    }

    /// Takes the next message from `queue` (acknowledged on delivery), nil when it is empty.
    public func get(queue: String) throws(AMQPError) -> AMQPReceivedMessage? {
        let state = try usable()
        let arena = CArena()
        let reply = amqp_basic_get(state, Self.channel, arena.bytes(queue), 1)
        if let error = error(from: reply) { throw fail(error) }
        guard reply.reply.id == AMQPMethod.basicGetOK,
              let getOK = reply.reply.decoded?.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        else { return nil }
        let exchange = getOK.exchange.string, routingKey = getOK.routing_key.string
        var message = amqp_message_t()
        let read = amqp_read_message(state, Self.channel, &message, 0)
        if let error = error(from: read) { throw fail(error) }
        defer { amqp_destroy_message(&message) }
        let p = message.properties
        let flags = p._flags
        let properties = AMQPMessageProperties(
            contentType: flags & UInt32(AMQP_BASIC_CONTENT_TYPE_FLAG) != 0 ? p.content_type.string : nil,
            contentEncoding: flags & UInt32(AMQP_BASIC_CONTENT_ENCODING_FLAG) != 0 ? p.content_encoding.string : nil,
            headers: flags & UInt32(AMQP_BASIC_HEADERS_FLAG) != 0 ? p.headers.fields : nil,
            deliveryMode: flags & UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG) != 0 ? p.delivery_mode : nil,
            priority: flags & UInt32(AMQP_BASIC_PRIORITY_FLAG) != 0 ? p.priority : nil)
        amqp_maybe_release_buffers(state)
        return AMQPReceivedMessage(exchange: exchange, routingKey: routingKey, redelivered: getOK.redelivered != 0,
                                   properties: properties, body: message.body.array)
    }

    /// Closes the channel and the connection politely when they are still open (each step
    /// bounded by the RPC timeout), then releases the socket. Idempotent.
    public func close() {
        guard let state else { return }
        if failure == nil || failure?.kind == .channelClosed {
            if channelOpen { _ = amqp_channel_close(state, Self.channel, AMQP_REPLY_SUCCESS) }
            _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        }
        channelOpen = false
        amqp_destroy_connection(state)
        self.state = nil
        if failure == nil { failure = AMQPError(kind: .closed, text: "connection closed", address: address) }
    }

    /// Makes the kernel fail the connection when data it sent stays unacknowledged for longer
    /// than `limit` (TCP_USER_TIMEOUT): rabbitmq-c waits without a bound while a publish is
    /// written, so a dead peer would otherwise hold the caller until TCP gives up (~15 min).
    private func boundUnacknowledgedSends(_ limit: Duration) {
        guard let state else { return }
        let descriptor = amqp_get_sockfd(state)
        guard descriptor >= 0 else { return }
        var milliseconds = UInt32(clamping: limit.components.seconds * 1000
            + limit.components.attoseconds / 1_000_000_000_000_000)
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT, &milliseconds,
                       socklen_t(MemoryLayout<UInt32>.size))
    }

    // MARK: - Replies and failures

    /// The connection state, or the error that made it unusable.
    func usable() throws(AMQPError) -> amqp_connection_state_t {
        if let failure { throw failure }
        guard let state, channelOpen else { throw AMQPError(kind: .closed, text: "connection closed", address: address) }
        return state
    }

    /// Records the first failure and returns it.
    func fail(_ error: AMQPError) -> AMQPError {
        if failure == nil { failure = error }
        return error
    }

    func checkReply(_ what: String) throws(AMQPError) {
        guard let state else { throw AMQPError(kind: .closed, text: "connection closed", address: address) }
        if let error = error(from: amqp_get_rpc_reply(state), what) { throw fail(error) }
    }

    private func checkTLS(_ status: Int32, _ what: String) throws(AMQPError) {
        guard status != AMQP_STATUS_OK.rawValue else { return }
        throw AMQPError(kind: .tlsFailed, text: "\(what): \(Self.statusText(status))", address: address)
    }

    /// The error an RPC reply carries, nil when it succeeded. Answers a channel.close or
    /// connection.close from the broker with its close-ok.
    func error(from reply: amqp_rpc_reply_t, _ what: String = "") -> AMQPError? {
        let prefix = what.isEmpty ? "" : what + ": "
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return nil
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            let timedOut = reply.library_error == AMQP_STATUS_TIMEOUT.rawValue
            return AMQPError(kind: timedOut ? .timeout : .connectionLost,
                             text: scrubbed(prefix + Self.statusText(reply.library_error)), address: address)
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            return serverClose(id: reply.reply.id, decoded: reply.reply.decoded, prefix: prefix)
                ?? AMQPError(kind: .connectionLost, text: prefix + "unexpected method \(reply.reply.id)", address: address)
        default:
            return AMQPError(kind: .connectionLost, text: prefix + "no reply", address: address)
        }
    }

    /// The error for a channel.close or connection.close method, after answering it; nil for
    /// any other method.
    func serverClose(id: UInt32, decoded: UnsafeMutableRawPointer?, prefix: String = "") -> AMQPError? {
        guard let state, id == AMQPMethod.channelClose || id == AMQPMethod.connectionClose else { return nil }
        // channel.close and connection.close have the same fields.
        let close = decoded?.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
        let code = close.map { Int($0.reply_code) }
        let text = scrubbed(prefix + (close?.reply_text.string ?? "closed by the broker"))
        if id == AMQPMethod.channelClose {
            var ok = amqp_channel_close_ok_t()
            _ = amqp_send_method(state, Self.channel, AMQPMethod.channelCloseOK, &ok)
            channelOpen = false
            return AMQPError(kind: .channelClosed, replyCode: code, text: text, address: address)
        }
        var ok = amqp_connection_close_ok_t()
        _ = amqp_send_method(state, 0, AMQPMethod.connectionCloseOK, &ok)
        channelOpen = false
        return AMQPError(kind: .connectionClosed, replyCode: code, text: text, address: address)
    }

    /// `text` with the password replaced, in case a broker or library ever echoes it.
    func scrubbed(_ text: String) -> String {
        password.isEmpty ? text : text.replacing(password, with: "***")
    }

    static func statusText(_ status: Int32) -> String {
        amqp_error_string2(status).map { String(cString: $0) } ?? "status \(status)"
    }
}
