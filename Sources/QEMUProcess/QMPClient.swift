import DirtyRingCore
import Glibc

/// A QMP client on QEMU's unix socket (`-qmp unix:PATH,server=on,wait=off`).
///
/// Every wait is bounded: connecting, reading the greeting, sending and each answer. Asynchronous
/// events are skipped; answers carry an id so that a late answer to an earlier command that timed
/// out is never taken for the current one. Not for concurrent use from several threads.
public final class QMPClient {
    private let fd: Int32
    /// Upper bound of each command's round trip.
    public let timeoutSeconds: Double
    private var buffer: [UInt8] = []
    private var nextID = 1

    /// The longest message accepted from QEMU.
    static let maximumMessageBytes = 16 << 20

    private init(fd: Int32, timeoutSeconds: Double) {
        self.fd = fd
        self.timeoutSeconds = timeoutSeconds
    }

    deinit {
        close(fd)
    }

    /// Connects to `path`, retrying while the socket is not there yet (QEMU is starting) for up
    /// to `connectSeconds`, as long as `keepTrying` says so; reads the greeting and negotiates
    /// capabilities.
    public static func connect(
        path: String, connectSeconds: Double, timeoutSeconds: Double, keepTrying: () -> Bool = { true }
    ) throws(DirtyRingError) -> QMPClient {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !pathBytes.isEmpty, pathBytes.count < capacity, !pathBytes.contains(0) else {
            throw DirtyRingError(
                kind: .invalidRequest, message: "QMP socket path '\(path)' is longer than \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
        }
        let deadline = Monotonic.now + connectSeconds
        while true {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw DirtyRingError(kind: .internal, message: "socket(AF_UNIX): \(errnoText())") }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if result == 0 {
                let client = QMPClient(fd: fd, timeoutSeconds: timeoutSeconds)
                try client.handshake()
                return client
            }
            let error = errno
            close(fd)
            guard error == ENOENT || error == ECONNREFUSED || error == EAGAIN || error == EINTR else {
                throw DirtyRingError(kind: .internal, message: "connecting to QMP at \(path): \(String(cString: strerror(error)))")
            }
            guard Monotonic.now < deadline, keepTrying() else {
                throw DirtyRingError(
                    kind: .timeout,
                    message: "QMP socket \(path) did not accept a connection within \(secondsText(connectSeconds)) s")
            }
            Monotonic.sleep(0.05)
        }
    }

    private func handshake() throws(DirtyRingError) {
        let greeting = try readMessage(deadline: Monotonic.now + timeoutSeconds, what: "the QMP greeting")
        guard greeting["QMP"] != nil else {
            throw DirtyRingError(kind: .internal, message: "QEMU sent no QMP greeting: \(greeting.serialized.prefix(200))")
        }
        _ = try execute("qmp_capabilities")
    }

    /// Runs `command` with `arguments` (an object, or nil for none); returns its `return` value
    /// or throws its `error` description.
    @discardableResult
    public func execute(_ command: String, arguments: OsloJSON? = nil) throws(DirtyRingError) -> OsloJSON {
        let id = nextID
        nextID += 1
        var members: [(String, OsloJSON)] = [("execute", .string(command))]
        if let arguments { members.append(("arguments", arguments)) }
        members.append(("id", .integer(id)))
        var bytes: [UInt8] = []
        OsloJSON.object(members).write(to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        let deadline = Monotonic.now + timeoutSeconds
        try send(bytes, deadline: deadline, what: command)
        while true {
            let message = try readMessage(deadline: deadline, what: "the answer to \(command)")
            if message["event"] != nil { continue }
            guard message["id"] == .integer(id) else { continue }
            if let value = message["return"] { return value }
            if let error = message["error"] {
                let description = error["desc"]?.stringValue ?? error.serialized
                throw DirtyRingError(kind: .internal, message: "QEMU refused \(command): \(description)")
            }
            throw DirtyRingError(kind: .internal, message: "QEMU answered \(command) with \(message.serialized.prefix(200))")
        }
    }

    private func wait(for events: Int16, deadline: Double, what: String) throws(DirtyRingError) {
        while true {
            let left = deadline - Monotonic.now
            guard left > 0 else {
                throw DirtyRingError(kind: .timeout, message: "QEMU did not answer \(what) within \(secondsText(timeoutSeconds)) s")
            }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, Int32(min(left, 60) * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { throw DirtyRingError(kind: .internal, message: "poll on QMP: \(errnoText())") }
            if ready > 0 { return }
        }
    }

    private func send(_ bytes: [UInt8], deadline: Double, what: String) throws(DirtyRingError) {
        var sent = 0
        while sent < bytes.count {
            try wait(for: Int16(POLLOUT), deadline: deadline, what: what)
            let count = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.send(fd, base + sent, raw.count - sent, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw DirtyRingError(kind: .internal, message: "sending \(what) to QEMU: \(errnoText())")
            }
            sent += count
        }
    }

    /// The next complete message (one line of JSON).
    private func readMessage(deadline: Double, what: String) throws(DirtyRingError) -> OsloJSON {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                if line.allSatisfy(\.isWhitespace) { continue }
                do {
                    return try OsloJSONParser.parse(line)
                } catch {
                    throw DirtyRingError(kind: .internal, message: "QEMU sent malformed QMP (\(error.message))")
                }
            }
            guard buffer.count < Self.maximumMessageBytes else {
                throw DirtyRingError(kind: .internal, message: "QEMU sent a QMP message over \(Self.maximumMessageBytes) bytes")
            }
            try wait(for: Int16(POLLIN), deadline: deadline, what: what)
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return recv(fd, base, raw.count, Int32(MSG_DONTWAIT))
            }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw DirtyRingError(kind: .internal, message: "reading \(what) from QEMU: \(errnoText())")
            }
            guard count > 0 else {
                throw DirtyRingError(kind: .internal, message: "QEMU closed its QMP socket before \(what)")
            }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }
}
