import Foundation

/// Runs tools the tests need.
enum Run {
    struct Result {
        var status: Int32
        var output: String
    }

    /// Runs `tool` (looked up on PATH) with `arguments`, capturing standard output and error.
    static func process(_ tool: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}

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
