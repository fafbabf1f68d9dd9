#if canImport(Glibc)
import Glibc
#endif
import DirtyRingCore
import ThreadSupport

/// The notifications not yet confirmed by the broker, on disk, so that they survive a restart of
/// the process: append-only segment files `segment-<first sequence, 20 digits>.jsonl` holding one
/// `SpoolRecord` line each, and `confirmed`, the sequence up to which every record is done
/// (confirmed or dropped). A process holds the directory with an exclusive lock (`lock`).
///
/// Appends go to the page cache with one `write` per batch (no `fsync`): they survive the
/// process, not the machine. A line cut short by a crash is skipped when the spool is opened again, and every
/// open starts a new segment so that no append follows a torn line. Thread-safe.
final class NotificationSpool: @unchecked Sendable {
    struct Segment {
        var first: UInt64
        var last: UInt64
        var path: String
        var bytes: Int
    }

    /// What the spool held when it was opened.
    struct Recovery {
        /// Records not done yet, in sequence order.
        var records: [SpoolRecord]
        var doneThrough: UInt64
        /// Lines that are not records (cut short, or damaged).
        var unreadableLines: Int
    }

    let directory: String
    let segmentBytes: Int
    private let lock = ConditionLock()
    /// Guarded by `lock`; the last one is being appended to when `descriptor` is open.
    private var segments: [Segment] = []
    private var descriptor: Int32 = -1
    private var lockDescriptor: Int32
    /// Guards `persistedDone` and the `confirmed` file (the spooler and the publisher mark).
    private let doneLock = ConditionLock()
    private var persistedDone: UInt64

    private init(directory: String, segmentBytes: Int, lockDescriptor: Int32, done: UInt64, segments: [Segment]) {
        self.directory = directory
        self.segmentBytes = segmentBytes
        self.lockDescriptor = lockDescriptor
        self.persistedDone = done
        self.segments = segments
    }

    deinit {
        close()
    }

    /// Opens (creating it when needed) and locks the spool in `directory`; returns it with the
    /// records it still holds. Segments whose records are all done are removed.
    static func open(directory: String, segmentBytes: Int) throws(SpoolError) -> (NotificationSpool, Recovery) {
        try makeDirectories(directory)
        let lockPath = directory + "/lock"
        let lockDescriptor = Glibc.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard lockDescriptor >= 0 else { throw SpoolError(kind: .unusable, path: lockPath, reason: errnoText()) }
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? readFile(lockPath)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            Glibc.close(lockDescriptor)
            throw SpoolError(kind: .locked, path: directory,
                             reason: "in use by another process" + (holder.isEmpty ? "" : " (pid \(holder))"))
        }
        _ = ftruncate(lockDescriptor, 0)
        let pid = Array(String(getpid()).utf8)
        _ = pid.withUnsafeBytes { pwrite(lockDescriptor, $0.baseAddress, $0.count, 0) }

        var done: UInt64 = 0
        let confirmedPath = directory + "/confirmed"
        if let bytes = try? readFile(confirmedPath), let value = UInt64(String(decoding: bytes, as: UTF8.self)) {
            done = value
        }
        var recovery = Recovery(records: [], doneThrough: done, unreadableLines: 0)
        var kept: [Segment] = []
        for (first, name) in try segmentFiles(directory) {
            let path = directory + "/" + name
            let bytes: [UInt8]
            do { bytes = try readFile(path) } catch {
                Glibc.close(lockDescriptor)
                throw error
            }
            var last = first
            var live = false
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            if let tail = lines.popLast(), !tail.isEmpty { recovery.unreadableLines += 1 }
            for line in lines where !line.isEmpty {
                guard let record = SpoolRecord(line: String(decoding: line, as: UTF8.self)) else {
                    recovery.unreadableLines += 1
                    continue
                }
                last = max(last, record.sequence)
                if record.sequence > done, record.sequence > (recovery.records.last?.sequence ?? 0) {
                    recovery.records.append(record)
                    live = true
                }
            }
            if live {
                kept.append(Segment(first: first, last: last, path: path, bytes: bytes.count))
            } else {
                unlink(path)
            }
        }
        let spool = NotificationSpool(directory: directory, segmentBytes: max(4096, segmentBytes),
                                      lockDescriptor: lockDescriptor, done: done, segments: kept)
        return (spool, recovery)
    }

    /// Appends the lines of the records `first` through `last`, in one write. After a failed
    /// write the next append starts a new segment, so a partial line never runs into the next one.
    func append(_ lines: String, first sequence: UInt64, last: UInt64) throws(SpoolError) {
        try lock.withLock { () throws(SpoolError) in
            if descriptor < 0 || (segments.last?.bytes ?? 0) >= segmentBytes {
                if descriptor >= 0 { Glibc.close(descriptor) }
                descriptor = -1
                let path = directory + "/" + Self.segmentName(sequence)
                let opened = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
                guard opened >= 0 else { throw SpoolError(kind: .io, path: path, reason: Self.errnoText()) }
                descriptor = opened
                segments.append(Segment(first: sequence, last: sequence, path: path, bytes: 0))
            }
            var utf8 = lines
            let written = utf8.withUTF8 { Self.writeAll(descriptor, $0) }
            guard written == lines.utf8.count else {
                let reason = written < 0 ? Self.errnoText() : "short write"
                Glibc.close(descriptor)
                descriptor = -1
                throw SpoolError(kind: .io, path: segments.last?.path ?? directory, reason: reason)
            }
            segments[segments.count - 1].last = last
            segments[segments.count - 1].bytes += written
        }
    }

    /// Records that every sequence up to `sequence` is done, and removes the segments that hold
    /// nothing else (not the one being appended to).
    func markDone(through sequence: UInt64) throws(SpoolError) {
        try doneLock.withLock { () throws(SpoolError) in
            guard sequence > persistedDone else { return }
            try Self.replaceFile(directory + "/confirmed", with: String(sequence))
            persistedDone = sequence
        }
        let finished: [Segment] = lock.withLock {
            let appending = descriptor >= 0 ? segments.count - 1 : segments.count
            let count = segments[..<appending].prefix { $0.last <= sequence }.count
            let removed = Array(segments.prefix(count))
            segments.removeFirst(count)
            return removed
        }
        for segment in finished { unlink(segment.path) }
    }

    /// The size of the segment files.
    var bytes: Int {
        lock.withLock { segments.reduce(0) { $0 + $1.bytes } }
    }

    /// Flushes the segment being appended to and releases the directory. Idempotent.
    func close() {
        lock.withLock {
            if descriptor >= 0 {
                _ = fdatasync(descriptor)
                Glibc.close(descriptor)
                descriptor = -1
            }
            if lockDescriptor >= 0 {
                Glibc.close(lockDescriptor)
                lockDescriptor = -1
            }
        }
    }

    // MARK: - Files

    static func segmentName(_ first: UInt64) -> String {
        let digits = String(first)
        return "segment-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".jsonl"
    }

    /// The segment files of `directory` by first sequence.
    private static func segmentFiles(_ directory: String) throws(SpoolError) -> [(UInt64, String)] {
        guard let stream = opendir(directory) else {
            throw SpoolError(kind: .unusable, path: directory, reason: errnoText())
        }
        defer { closedir(stream) }
        var found: [(UInt64, String)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix("segment-"), name.hasSuffix(".jsonl"),
                  let first = UInt64(name.dropFirst(8).dropLast(6)) else { continue }
            found.append((first, name))
        }
        return found.sorted { $0.0 < $1.0 }
    }

    private static func makeDirectories(_ path: String) throws(SpoolError) {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o750) != 0, errno != EEXIST {
                throw SpoolError(kind: .unusable, path: prefix, reason: errnoText())
            }
        }
        guard access(path, R_OK | W_OK | X_OK) == 0 else {
            throw SpoolError(kind: .unusable, path: path, reason: errnoText())
        }
    }

    private static func readFile(_ path: String) throws(SpoolError) -> [UInt8] {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SpoolError(kind: .io, path: path, reason: errnoText()) }
        defer { Glibc.close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw SpoolError(kind: .io, path: path, reason: errnoText()) }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
        }
    }

    /// Writes `text` to `path` through a temporary file and a rename.
    private static func replaceFile(_ path: String, with text: String) throws(SpoolError) {
        let temporary = path + ".tmp"
        let descriptor = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw SpoolError(kind: .io, path: temporary, reason: errnoText()) }
        var copy = text
        let written = copy.withUTF8 { writeAll(descriptor, $0) }
        Glibc.close(descriptor)
        guard written == text.utf8.count, rename(temporary, path) == 0 else {
            throw SpoolError(kind: .io, path: path, reason: errnoText())
        }
    }

    /// Writes every byte (retrying short writes and EINTR); the count written, or -1.
    private static func writeAll(_ descriptor: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var offset = 0
        while offset < bytes.count {
            let count = write(descriptor, base + offset, bytes.count - offset)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return offset == 0 ? -1 : offset }
            offset += count
        }
        return offset
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
