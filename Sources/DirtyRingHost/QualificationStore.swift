import DirtyRingCore
import FoundationEssentials

/// The host's ring qualification verdicts, one per ring size, kept as
/// `ring-qualification.json` in the context's state_dir.
public struct QualificationStore: Sendable {
    /// The state directory.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The file holding the verdicts.
    public var path: String { directory + "/ring-qualification.json" }

    /// Every recorded verdict, smallest ring first; none when there is no file or it cannot be read.
    public func loadAll() -> [RingQualification] {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path)),
              let verdicts = try? JSONDecoder().decode([RingQualification].self, from: data)
        else { return [] }
        return verdicts.sorted { ($0.key?.ringSize ?? 0) < ($1.key?.ringSize ?? 0) }
    }

    /// Creates the state directory when missing.
    public func createDirectory() throws(DirtyRingError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DirtyRingError(kind: .internal, message: "cannot create the state directory \(directory): \(error)")
        }
    }

    /// Records `verdict`, replacing the one of the same ring size, atomically.
    public func save(_ verdict: RingQualification) throws(DirtyRingError) {
        try createDirectory()
        let size = verdict.key?.ringSize
        let verdicts = loadAll().filter { $0.key?.ringSize != size } + [verdict]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            try encoder.encode(verdicts.sorted { ($0.key?.ringSize ?? 0) < ($1.key?.ringSize ?? 0) })
                .write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DirtyRingError(kind: .internal, message: "cannot record the ring qualification in \(path): \(error)")
        }
    }

    /// Forgets every verdict: the state becomes unknown.
    public func clear() throws(DirtyRingError) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw DirtyRingError(kind: .internal, message: "cannot remove \(path): \(error)")
        }
    }
}
