import ArgumentParser
import DirtyRingCore
import DirtyRingHost
import FoundationEssentials

/// `dirtyring probe`: can this host run guests with the KVM dirty ring, and if not, why not.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Report whether this host can run guests with the KVM dirty ring."
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print the report as JSON for scripts.")
    var json = false

    @Option(help: "The ring size whose qualification decides whether the ring is offered.")
    var ringSize: Int = RingSize.default.entries

    func validate() throws {
        guard RingSize(entries: ringSize) != nil else {
            throw ValidationError("--ring-size \(ringSize) is invalid: \(RingSize.requirement)")
        }
    }

    func run() throws {
        let report = try CommandFailure.wrap { () throws(DirtyRingError) -> HostReport in
            try HostContext.open(connection.configuration).probe(ringSize: ringSize)
        }
        if json {
            try JSONOutput.print(report)
        } else {
            print(ProbeTable(report: report).render())
        }
    }
}
