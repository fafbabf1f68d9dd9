import Foundation

/// The built libdirtyring.so.
enum Library {
    /// The debug build (`swift build`) and the release build (`-c release -Xswiftc -static-stdlib`).
    enum Build: String, CaseIterable, Sendable {
        case debug, release

        var environmentVariable: String { self == .debug ? "DIRTYRING_LIBRARY" : "DIRTYRING_RELEASE_LIBRARY" }
    }

    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "libdirtyring.so not built at \(path): scripts/test builds it" }
    }

    /// The library of `build`: from its environment variable, or in this repository's .build.
    static func path(_ build: Build) throws -> String {
        let path = ProcessInfo.processInfo.environment[build.environmentVariable]
            ?? HeaderContractTests.repository.appendingPathComponent(".build/\(build.rawValue)/libdirtyring.so").path
        guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: path) }
        return path
    }
}
