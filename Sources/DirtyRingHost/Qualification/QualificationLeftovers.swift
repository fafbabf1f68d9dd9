import DirtyRingCore
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import LibvirtClient

/// What a qualification leaves behind when its process dies mid-run (nova-compute killed or
/// restarted during its first minutes): canary guests under libvirt, QEMU processes of the
/// migration check, their files. Each carries the owner's process id in its name, so that only
/// the leftovers of dead owners are removed, never those of a qualification still running.
enum QualificationLeftovers {
    /// Libvirt canaries are named `dirtyring-canary-<rate>-<owner pid>-<stamp>`.
    static let canaryPrefix = "dirtyring-canary-"
    /// Migration-check directories in state_dir are named `mig-<owner pid>-<random>`.
    static let migrationDirectoryPrefix = "mig-"
    /// The QEMU processes of the migration check are named `dirtyring-migcheck-<role>`.
    static let migrationProcessName = "dirtyring-migcheck"

    /// The owner pid in `name` after `prefix` (and, for canaries, the rate), or nil.
    static func owner(of name: String, prefix: String, skipping fields: Int) -> Int32? {
        guard name.hasPrefix(prefix) else { return nil }
        let parts = name.dropFirst(prefix.count).split(separator: "-")
        guard parts.count > fields else { return nil }
        return Int32(parts[fields])
    }

    /// Whether process `pid` exists.
    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Whether process `pid` is a QEMU of the migration check (so a reused pid is left alone).
    static func isMigrationQEMU(_ pid: Int32) -> Bool {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
        return String(decoding: data, as: UTF8.self).contains(migrationProcessName)
    }
}

extension HostContext {
    /// Destroys the canary guests, kills the migration-check QEMUs and removes the files that
    /// qualifications of dead processes left; returns one line per thing removed.
    @discardableResult
    func removeQualificationLeftovers() -> [String] {
        var removed: [String] = []
        let connection = self.connection
        let canaries = (try? BoundedCall.run("listing leftover canaries", seconds: configuration.timeoutSeconds) {
            () throws(DirtyRingError) -> [Domain] in
            try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in
                try connection.activeDomains().filter { domain in
                    QualificationLeftovers.owner(of: domain.name, prefix: QualificationLeftovers.canaryPrefix, skipping: 1)
                        .map { !QualificationLeftovers.isAlive($0) } ?? false
                }
            }
        }) ?? []
        for canary in canaries {
            let name = canary.name
            if (try? BoundedCall.run("destroying leftover canary \(name)", seconds: configuration.timeoutSeconds) {
                () throws(DirtyRingError) in
                try DirtyRingError.mappingLibvirt { () throws(LibvirtError) in try canary.destroy() }
            }) != nil {
                removed.append("canary guest \(name)")
            }
        }
        let stateDir = configuration.stateDir
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: stateDir)) ?? []
        for entry in entries {
            let canaryLog = entry.hasSuffix("-serial.log")
                && (QualificationLeftovers.owner(of: entry, prefix: QualificationLeftovers.canaryPrefix, skipping: 1)
                    .map { !QualificationLeftovers.isAlive($0) } ?? false)
            let migration = QualificationLeftovers.owner(
                of: entry, prefix: QualificationLeftovers.migrationDirectoryPrefix, skipping: 0)
                .map { !QualificationLeftovers.isAlive($0) } ?? false
            guard canaryLog || migration else { continue }
            let path = stateDir + "/" + entry
            if migration {
                for role in ["source", "destination"] {
                    guard let text = try? String(contentsOfFile: "\(path)/\(role).pid", encoding: .utf8),
                          let pid = Int32(text.filter { !$0.isWhitespace }),
                          QualificationLeftovers.isMigrationQEMU(pid)
                    else { continue }
                    kill(pid, SIGKILL)
                    removed.append("QEMU \(pid) (\(role) of a migration check)")
                }
            }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }
}
