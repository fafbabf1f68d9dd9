import DirtyRingCore

#if canImport(Glibc)
import Glibc
#endif

/// Reads whole text files, `-` being standard input.
enum TextFile {
    static func read(_ path: String) throws(DirtyRingError) -> String {
        let stream: UnsafeMutablePointer<FILE>? = path == "-" ? stdin : fopen(path, "rb")
        guard let stream else {
            throw DirtyRingError(kind: .invalidRequest, message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { if path != "-" { fclose(stream) } }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, stream)
            bytes.append(contentsOf: buffer.prefix(count))
            if count < buffer.count { break }
        }
        guard ferror(stream) == 0 else {
            throw DirtyRingError(kind: .invalidRequest, message: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
