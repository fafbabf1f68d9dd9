import DirtyRingHost
import DirtyRingTestSupport
import Foundation
import Testing

/// A real test guest booted with scripts/guest, destroyed when the test is done with it.
final class TestGuest: @unchecked Sendable {
    let name: String

    private init(name: String) {
        self.name = name
    }

    /// Boots guests in parallel; destroys those that came up when any fails.
    static func start(_ specs: [(name: String, arguments: [String])]) throws -> [TestGuest] {
        for spec in specs { _ = try? script(["destroy", spec.name]) }
        let processes = try specs.map { spec in try launch(["start", spec.name] + spec.arguments) }
        var failures: [String] = []
        for (spec, process) in zip(specs, processes) {
            process.0.waitUntilExit()
            if process.0.terminationStatus != 0 {
                failures.append("\(spec.name): \(String(decoding: process.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
            }
        }
        let guests = specs.map { TestGuest(name: $0.name) }
        if !failures.isEmpty {
            guests.forEach { $0.destroy() }
            throw GuestFailure(message: "scripts/guest start failed: " + failures.joined(separator: "\n"))
        }
        return guests
    }

    func destroy() {
        _ = try? Self.script(["destroy", name])
    }

    var serialPath: String { "/var/log/libvirt/qemu/\(name)-serial.log" }

    /// The guest's latest second and achieved rate from its serial log.
    func latestProgress() -> (second: Int, megabytesPerSecond: Double)? {
        GuestSerial.latest(path: serialPath)
    }

    /// The achieved rates the guest reported, newest last.
    func reportedRates() -> [Double] {
        guard let text = try? String(contentsOfFile: serialPath, encoding: .utf8) else { return [] }
        return text.split(whereSeparator: \.isNewline).compactMap { GuestSerial.latest(text: String($0))?.megabytesPerSecond }
    }

    /// Waits until the guest reported `count` more seconds (or `timeout` passed).
    func waitForProgress(seconds count: Int, timeout: Double) {
        let start = latestProgress()?.second ?? 0
        let deadline = Date().addingTimeInterval(timeout)
        while (latestProgress()?.second ?? 0) < start + count && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    @discardableResult
    static func script(_ arguments: [String]) throws -> String {
        let (process, pipe) = try launch(arguments)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw GuestFailure(message: "scripts/guest \(arguments.joined(separator: " ")): \(text)")
        }
        return text
    }

    private static func launch(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Repository.root + "/scripts/guest")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return (process, pipe)
    }
}

struct GuestFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A fresh temporary state directory.
func temporaryStateDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "dirtyring-state-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Whether `reading` is within `tolerance` (relative) of `truth`.
func within(_ reading: Double, of truth: Double, tolerance: Double = 0.10) -> Bool {
    abs(reading - truth) <= tolerance * truth
}
