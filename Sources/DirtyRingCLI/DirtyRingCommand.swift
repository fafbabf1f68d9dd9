import ArgumentParser
import LibvirtClient

/// `dirtyring`: the operator's view of dirty-ring support and live-migration readiness.
@main
struct DirtyRingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dirtyring",
        abstract: "Inspect KVM dirty-ring support and prepare guests for live migration.",
        subcommands: [ProbeCommand.self, DomainXMLCommand.self, ForecastCommand.self, MeasureCommand.self, QualifyCommand.self]
    )

    /// Runs the command line; libvirt's own error printing is silenced, as errors are reported here.
    static func main() {
        StandaloneErrorOutput.silence()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
