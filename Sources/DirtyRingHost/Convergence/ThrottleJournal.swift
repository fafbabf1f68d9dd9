import DirtyRingCore
import FoundationEssentials

/// The throttles acting on this host's migrating guests, one `<instance uuid>.json` file each
/// under `<state_dir>/throttles`: written when one starts (a dirty-limit: before it is set),
/// removed once it is lifted.
public struct ThrottleJournal: Sendable {
    public let directory: String

    public init(stateDirectory: String) {
        directory = stateDirectory + "/throttles"
    }

    /// Throws `invalid_request` for a UUID that is not hex digits and dashes (it names a file).
    static func checkUUID(_ uuid: String) throws(DirtyRingError) {
        let allowed = uuid.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46) || byte == 0x2D
        }
        guard allowed, (1...64).contains(uuid.utf8.count) else {
            throw DirtyRingError(kind: .invalidRequest, message: "instance.uuid '\(uuid)' is not a UUID")
        }
    }

    func path(_ uuid: String) -> String { "\(directory)/\(uuid).json" }

    /// Records `record`, replacing an earlier one of the instance atomically.
    public func write(_ record: ThrottleRecord) throws(DirtyRingError) {
        try Self.checkUUID(record.instance.uuid)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(record).write(to: URL(fileURLWithPath: path(record.instance.uuid)), options: .atomic)
        } catch {
            throw DirtyRingError(kind: .internal, message: "cannot record the throttle in \(path(record.instance.uuid)): \(error)")
        }
    }

    /// Forgets the instance's record (nothing when there is none).
    public func remove(uuid: String) throws(DirtyRingError) {
        try Self.checkUUID(uuid)
        let file = path(uuid)
        guard FileManager.default.fileExists(atPath: file) else { return }
        do {
            try FileManager.default.removeItem(atPath: file)
        } catch {
            throw DirtyRingError(kind: .internal, message: "cannot remove \(file): \(error)")
        }
    }

    /// Every record, with the file name of those that cannot be read.
    public func records() -> (records: [ThrottleRecord], unreadable: [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ([], []) }
        var records: [ThrottleRecord] = []
        var unreadable: [String] = []
        for name in names.sorted() where name.hasSuffix(".json") {
            let file = "\(directory)/\(name)"
            guard let data = try? Data(contentsOf: URL(fileURLWithPath: file)),
                  let record = try? JSONDecoder().decode(ThrottleRecord.self, from: data),
                  "\(record.instance.uuid).json" == name
            else {
                unreadable.append(file)
                continue
            }
            records.append(record)
        }
        return (records, unreadable)
    }
}
