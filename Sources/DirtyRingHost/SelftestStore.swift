import DirtyRingCore
import FoundationEssentials

/// The host's ring selftest verdict, kept as `ring-selftest.json` in the context's state_dir.
public struct SelftestStore: Sendable {
    /// The state directory.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The file holding the verdict.
    public var path: String { directory + "/ring-selftest.json" }

    /// The recorded verdict; unknown when there is none or it cannot be read.
    public func load() -> RingSelftest {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)),
              let verdict = try? JSONDecoder().decode(RingSelftest.self, from: data)
        else { return .unknown }
        return verdict
    }

    /// Creates the state directory when missing.
    public func createDirectory() throws(DirtyRingError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DirtyRingError(kind: .internal, message: "cannot create the state directory \(directory): \(error)")
        }
    }

    /// Records `verdict`, replacing the previous one atomically.
    public func save(_ verdict: RingSelftest) throws(DirtyRingError) {
        try createDirectory()
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            try encoder.encode(verdict).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DirtyRingError(kind: .internal, message: "cannot record the ring selftest in \(path): \(error)")
        }
    }

    /// Forgets the verdict: the state becomes unknown.
    public func clear() throws(DirtyRingError) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw DirtyRingError(kind: .internal, message: "cannot remove \(path): \(error)")
        }
    }
}
