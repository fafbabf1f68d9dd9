import DirtyRingCore
import Glibc
import Synchronization

/// A QEMU child process started with `posix_spawn` (an argument vector, no shell), its standard
/// output and error in a file. Stopped (SIGTERM, then SIGKILL) and reaped by `stop()`, or at the
/// latest when the object goes away.
public final class QEMUProcess: Sendable {
    /// The child's process id.
    public let pid: Int32
    /// Where its standard output and error go.
    public let outputPath: String
    /// Guarded: whether the child has been reaped.
    private let reaped = Mutex<Bool>(false)

    private init(pid: Int32, outputPath: String) {
        self.pid = pid
        self.outputPath = outputPath
    }

    deinit {
        stop(graceSeconds: 0)
    }

    /// Starts `binary` with `arguments` (without argv[0]), standard input from /dev/null, output
    /// and errors into `outputPath` (truncated), no descriptor of ours but those three inherited.
    public static func spawn(
        binary: String, arguments: [String], outputPath: String
    ) throws(DirtyRingError) -> QEMUProcess {
        guard binary.hasPrefix("/") else {
            throw DirtyRingError(kind: .invalidRequest, message: "QEMU binary '\(binary)' is not an absolute path")
        }
        guard access(binary, X_OK) == 0 else {
            throw DirtyRingError(kind: .unsupported, message: "QEMU binary \(binary) is not executable: \(errnoText())")
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard !argv.dropLast().contains(where: { $0 == nil }) else {
            throw DirtyRingError(kind: .internal, message: "out of memory starting \(binary)")
        }

        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        guard posix_spawn_file_actions_init(&actions) == 0 else {
            throw DirtyRingError(kind: .internal, message: "posix_spawn_file_actions_init failed")
        }
        defer { posix_spawn_file_actions_destroy(&actions) }
        guard posix_spawnattr_init(&attributes) == 0 else {
            throw DirtyRingError(kind: .internal, message: "posix_spawnattr_init failed")
        }
        defer { posix_spawnattr_destroy(&attributes) }

        var failed: Int32 = 0
        failed |= posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        failed |= posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        failed |= posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The caller (nova-compute) has sockets and files open: QEMU must not hold them.
        if let closeFrom = SpawnCloseFrom.function { failed |= closeFrom(&actions, 3) }
        // Default signal dispositions and an empty mask, whatever the caller set up.
        var all = sigset_t()
        var none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        failed |= posix_spawnattr_setsigdefault(&attributes, &all)
        failed |= posix_spawnattr_setsigmask(&attributes, &none)
        failed |= posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        guard failed == 0 else {
            throw DirtyRingError(kind: .internal, message: "cannot prepare to start \(binary)")
        }

        var pid: pid_t = 0
        let status = argv.withUnsafeBufferPointer { argvBuffer -> Int32 in
            guard let base = argvBuffer.baseAddress else { return EINVAL }
            return posix_spawn(&pid, binary, &actions, &attributes, base, environ)
        }
        guard status == 0 else {
            throw DirtyRingError(
                kind: .internal, message: "cannot start \(binary): \(String(cString: strerror(status)))")
        }
        return QEMUProcess(pid: pid, outputPath: outputPath)
    }

    /// Whether the child still runs (reaps it when it has exited).
    public var isRunning: Bool {
        reaped.withLock { reaped in
            guard !reaped else { return false }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno == ECHILD) { reaped = true }
            return !reaped
        }
    }

    /// Sends SIGTERM, waits up to `graceSeconds` for the child to exit, then SIGKILL; reaps it.
    /// Safe to call more than once.
    public func stop(graceSeconds: Double = 3) {
        reaped.withLock { reaped in
            guard !reaped else { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) != 0 { reaped = true; return }
            kill(pid, SIGTERM)
            let deadline = Monotonic.now + max(0, graceSeconds)
            while Monotonic.now < deadline {
                if waitpid(pid, &status, WNOHANG) != 0 { reaped = true; return }
                usleep(20_000)
            }
            kill(pid, SIGKILL)
            // SIGKILL cannot be caught: the wait ends (EINTR aside), or ECHILD when someone else reaped it.
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            reaped = true
        }
    }

    /// The last `limit` bytes QEMU wrote on its output and error, trimmed; "" when none.
    public func output(limit: Int = 2000) -> String {
        QEMUFiles.tail(path: outputPath, limit: limit)
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34), which Swift's Glibc module does
/// not declare; nil on an older C library (the child then inherits descriptors that lack
/// close-on-exec).
enum SpawnCloseFrom {
    typealias Function = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    static let function: Function? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        else { return nil }
        return unsafeBitCast(symbol, to: Function.self)
    }()
}

/// A monotonic clock in seconds.
public enum Monotonic {
    public static var now: Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Sleeps `seconds` (at most a minute at a time).
    public static func sleep(_ seconds: Double) {
        guard seconds > 0 else { return }
        usleep(useconds_t(min(seconds, 60) * 1_000_000))
    }
}

/// Small file helpers for QEMU's logs.
public enum QEMUFiles {
    /// The whole file as text (invalid UTF-8 repaired), at most `limit` bytes from its end; ""
    /// when it cannot be read.
    public static func tail(path: String, limit: Int = 1 << 20) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return "" }
        let size = Int(info.st_size)
        let start = max(0, size - max(0, limit))
        var bytes = [UInt8](repeating: 0, count: size - start)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return -1 }
                return pread(fd, base + filled, buffer.count - filled, off_t(start + filled))
            }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            filled += count
        }
        var text = String(decoding: bytes[0..<filled], as: UTF8.self)
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }
