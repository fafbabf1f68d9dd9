import DirtyRingTestSupport
import DirtyRingCore
import DirtyRingHost
import Foundation
import LibvirtClient
import Testing

/// `dirtyring selftest` run as the built CLI against the real libvirtd; part of the serialized
/// measurement suite so that its canary does not compete with the measured guests for the CPUs.
extension MeasurementTests {
    static var cli: String { Repository.root + "/.build/debug/dirtyring-cli" }

    static func runCLI(_ arguments: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run(cli, arguments)
    }

    @Test("the selftest finds this host's dirty-ring fault, records it, and --clear forgets it")
    func findsTheFault() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.cli), "build the CLI first: swift build")
        let kernel = try TestGuest.script(["kernel"]).split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        let stateDirectory = try temporaryStateDirectory()
        let result = try Self.runCLI(["selftest", "--kernel", kernel, "--state-dir", stateDirectory])
        print(result.output)
        #expect(result.status == 1)
        #expect(result.output.contains("ring selftest: failed"))
        #expect(result.output.contains("vCPU 0"))
        #expect(SelftestStore(directory: stateDirectory).load().state == .failed)
        // The canary is gone.
        let running = try Connection(uri: ContextConfiguration.defaultLibvirtURI).activeDomains().map(\.name)
        #expect(!running.contains { $0.hasPrefix("dirtyring-canary-") }, "canary left running: \(running)")

        let cleared = try Self.runCLI(["selftest", "--clear", "--state-dir", stateDirectory])
        #expect(cleared.status == 0)
        #expect(cleared.output.contains("ring selftest: unknown"))
        #expect(SelftestStore(directory: stateDirectory).load() == .unknown)
    }
}
