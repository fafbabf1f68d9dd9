import ArgumentParser

/// `dirtyring`: the operator's view of dirty-ring support and live-migration readiness.
@main
struct DirtyRingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dirtyring",
        abstract: "Inspect KVM dirty-ring support and prepare guests for live migration.",
        subcommands: [ProbeCommand.self, DomainXMLCommand.self]
    )
}
