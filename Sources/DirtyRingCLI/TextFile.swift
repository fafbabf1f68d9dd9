import DirtyRingCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads whole text files, `-` being standard input.
enum TextFile {
    static func read(_ path: String) throws(DirtyRingError) -> String {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", path) }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("read", path) }
            if count == 0 { break }
            bytes.append(contentsOf: buffer.prefix(count))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func failure(_ operation: String, _ path: String) -> DirtyRingError {
        DirtyRingError(kind: .invalidRequest, message: "cannot \(operation) \(path): \(String(cString: strerror(errno)))")
    }
}
