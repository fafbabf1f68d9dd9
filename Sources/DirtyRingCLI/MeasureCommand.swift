import ArgumentParser
import DirtyRingCore
import DirtyRingHost
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// `dirtyring measure`: how fast running guests dirty their memory, all measured at once.
struct MeasureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "measure",
        abstract: "Measure the dirty rate of running guests (all in the same period).",
        discussion: """
            auto mode uses the dirty ring where the guest has it and this host's ring qualification \
            passed, the dirty bitmap where the guest has no ring, page sampling otherwise. Exact \
            modes count unique pages, so a guest rewriting a working set W reads as at most W / period.
            """
    )

    @Argument(help: "Domain names or UUIDs.")
    var domains: [String]

    @Option(help: "Measurement period in seconds (1-60).")
    var seconds: Int = 1

    @Option(help: "auto, page-sampling, dirty-bitmap or dirty-ring.")
    var mode: String = RequestedDirtyRateMode.auto.rawValue


    @OptionGroup var connection: ConnectionOptions

    @Flag(help: "Print the measurements as JSON for scripts.")
    var json = false

    func validate() throws {
        guard RequestedDirtyRateMode(rawValue: mode) != nil else {
            throw ValidationError("--mode must be one of: "
                + RequestedDirtyRateMode.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() throws {
        let configuration = connection.configuration
        let requested = RequestedDirtyRateMode(rawValue: mode) ?? .auto
        let showProgress = isatty(STDERR_FILENO) == 1
        if showProgress {
            Self.writeError("measuring \(domains.count) domain\(domains.count == 1 ? "" : "s") over \(seconds) s...")
        }
        let results = try CommandFailure.wrap { () throws(DirtyRingError) in
            try HostContext.open(configuration).measure(domains: domains, seconds: seconds, mode: requested)
        }
        if showProgress { Self.writeError("\r\u{1B}[K") }
        if json {
            try JSONOutput.print(MeasureRequest.Response(results))
        } else {
            print(Table(references: domains, results: results).render())
        }
        if results.contains(where: { if case .failure = $0 { true } else { false } }) {
            throw ExitCode(1)
        }
    }

    /// Writes `text` to standard error unbuffered.
    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// The measurements as a table for a person; failures as rows with their message.
    struct Table {
        let references: [String]
        let results: [Result<DirtyRateMeasurement, DirtyRingError>]

        func render() -> String {
            var rows = [["DOMAIN", "MODE", "PERIOD", "MiB/s", "PER vCPU", "MEMORY", "RING"]]
            var notes: [String] = []
            var errors: [String] = []
            for (index, result) in results.enumerated() {
                let reference = index < references.count ? references[index] : "?"
                switch result {
                case .success(let m):
                    if let caveat = m.mode.caveat { notes.append("\(m.domain): \(caveat)") }
                    rows.append([
                        m.domain, m.mode.isEstimate ? "\(m.mode.rawValue) (estimate)" : m.mode.rawValue,
                        "\(m.periodSeconds) s", number(m.megabytesPerSecond),
                        m.vcpuMegabytesPerSecond.isEmpty ? "-" : m.vcpuMegabytesPerSecond.map(number).joined(separator: " "),
                        "\(m.memoryMiB) MiB", m.ringSize == 0 ? "off" : "\(m.ringSize)",
                    ])
                case .failure(let error):
                    rows.append([reference, "error", "-", "-", "-", "-", "-"])
                    errors.append("\(reference): \(error.kind.rawValue): \(error.message)")
                }
            }
            return (TextTable(rows: rows).lines() + errors + notes).joined(separator: "\n")
        }

        private func number(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(value)
        }
    }
}
