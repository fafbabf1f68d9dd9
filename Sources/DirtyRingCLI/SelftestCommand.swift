import ArgumentParser
import DirtyRingCore
import DirtyRingHost
import FoundationEssentials

/// `dirtyring selftest`: does a dirty-ring measurement leave guests running on this host?
struct SelftestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "selftest",
        abstract: "Check that a dirty-ring measurement leaves guests running, and record the verdict.",
        discussion: """
            Boots a small canary guest with the ring, measures it once through the ring and \
            checks that its vCPU still runs the guest. A failed verdict disables dirty-ring \
            measurement on this host until --clear.
            """
    )

    @Option(help: "The canary kernel (default: the newest /var/lib/libvirt/boot/dirtyring-guest-*.elf).")
    var kernel: String?

    @Option(help: "Ring entries per vCPU of the canary: the size this host gives its guests.")
    var ringSize: Int = RingSize.default.entries

    @Flag(help: "Forget the recorded verdict (after fixing the host): the state becomes unknown.")
    var clear = false

    @Flag(help: "Print the verdict as JSON.")
    var json = false

    @OptionGroup var connection: ConnectionOptions

    static let kernelDirectory = "/var/lib/libvirt/boot"

    func validate() throws {
        guard RingSize(entries: ringSize) != nil else {
            throw ValidationError("--ring-size \(ringSize) is invalid: \(RingSize.requirement)")
        }
    }

    func run() throws {
        let configuration = connection.configuration
        let verdict: RingSelftest
        if clear {
            try CommandFailure.wrap { () throws(DirtyRingError) in try SelftestStore(directory: connection.stateDir).clear() }
            verdict = .unknown
        } else {
            let kernelPath = try kernel ?? Self.newestKernel()
            verdict = try CommandFailure.wrap { () throws(DirtyRingError) in
                try HostContext.open(configuration).runSelftest(kernelPath: kernelPath, ringSize: ringSize)
            }
        }
        if json {
            try JSONOutput.print(verdict)
        } else {
            print("ring selftest: \(verdict.state.rawValue)" + (verdict.checkedAt.map { " at \($0)" } ?? ""))
            if let evidence = verdict.evidence { print(evidence) }
        }
        if verdict.state == .failed { throw ExitCode(1) }
    }

    /// The most recently modified test-guest kernel that scripts/guest installed.
    static func newestKernel() throws -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: kernelDirectory)) ?? []
        let candidates = names.filter { $0.hasPrefix("dirtyring-guest-") && $0.hasSuffix(".elf") }
            .map { "\(kernelDirectory)/\($0)" }
        let dated = candidates.map { path in
            (path, ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast)
        }
        guard let newest = dated.max(by: { $0.1 < $1.1 }) else {
            throw ValidationError("no canary kernel in \(kernelDirectory) (run scripts/guest kernel, or pass --kernel)")
        }
        return newest.0
    }
}
