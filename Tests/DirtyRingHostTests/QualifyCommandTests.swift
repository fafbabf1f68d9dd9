import DirtyRingTestSupport
import DirtyRingCore
import DirtyRingHost
import Foundation
import LibvirtClient
import Testing

/// `dirtyring qualify` run as the built CLI against the real libvirtd and KVM; part of the
/// serialized measurement suite so that its canaries do not compete with the measured guests.
/// Whatever this host's verdict, it must be the one its evidence shows, and it must drive the
/// ring offer: the test never assumes which kind of host it runs on.
extension MeasurementTests {
    static var cli: String { Repository.root + "/.build/debug/dirtyring-cli" }

    static func runCLI(_ arguments: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run(cli, arguments)
    }

    @Test("qualify: three checks with evidence, a verdict that follows them, recorded, offered only when passed")
    func qualifiesThisHost() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.cli), "build the CLI first: swift build")
        let kernel = try TestGuest.script(["kernel"]).split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        let stateDirectory = try temporaryStateDirectory()
        let started = Date()
        let result = try Self.runCLI(["qualify", "--json", "--kernel", kernel, "--state-dir", stateDirectory])
        let seconds = Date().timeIntervalSince(started)
        print(result.output)
        let verdict = try JSONDecoder().decode(RingQualification.self, from: Data(result.output.utf8))
        print("qualification: \(verdict.state.rawValue) in \(Int(seconds)) s")

        // The verdict follows the checks, and the exit status the verdict.
        #expect(verdict.checks.map(\.name) == [.counting, .migrationIntegrity, .liveness])
        let states = verdict.checks.map(\.state)
        let expected: RingQualification.State =
            states.contains(.failed) ? .failed : (states.contains(.unknown) ? .unknown : .passed)
        #expect(verdict.state == expected)
        #expect(result.status == [RingQualification.State.passed: 0, .failed: 1, .unknown: 3][verdict.state])
        for check in verdict.checks {
            #expect(!check.summary.isEmpty && !check.evidence.isEmpty, "\(check.name) has no evidence")
        }
        if verdict.state != .passed {
            let unproven = verdict.checks.filter { $0.state != .passed }
            #expect(unproven.allSatisfy { verdict.evidence?.contains($0.summary) == true })
        }
        // Counting holds the readings of both canaries, five periods each unless one stopped.
        let counting = try #require(verdict.checks.first)
        #expect(counting.evidence.count == 2)
        // The migration check migrated with the ring five times and with the bitmap three times.
        let migration = verdict.checks[1]
        #expect(migration.evidence.filter { $0.hasPrefix("ring ") }.count == 5, "\(migration.evidence)")
        #expect(migration.evidence.filter { $0.hasPrefix("bitmap") }.count == 3, "\(migration.evidence)")

        // Keyed to this host's facts, recorded, and it decides the offer.
        let context = try HostContext.open(ContextConfiguration(stateDir: stateDirectory))
        let host = try context.probe()
        #expect(verdict.key == host.qualificationKey(ringSize: 4096))
        #expect(host.dirtyRing.qualification == verdict)
        #expect(host.dirtyRing.offered == (verdict.state == .passed))
        let decision = try RingDecision.decide(.init(config: RingConfig(), host: host))
        #expect(decision.enabled == (verdict.state == .passed), "\(decision.reason)")
        if verdict.state != .passed {
            #expect(decision.reason.contains("not proven"))
        }
        let probeJSON = try Self.runCLI(["probe", "--json", "--state-dir", stateDirectory])
        let probed = try JSONDecoder().decode(HostReport.self, from: Data(probeJSON.output.utf8))
        #expect(probed.dirtyRing.offered == (verdict.state == .passed))
        #expect(probed.dirtyRing.qualification.state == verdict.state)
        let table = try Self.runCLI(["probe", "--state-dir", stateDirectory])
        let offeredRow = table.output.split(separator: "\n").first { $0.hasPrefix("ring offered ") }
        let offeredText = offeredRow.map { $0.dropFirst("ring offered".count).drop { $0 == " " } }
        #expect(offeredText?.hasPrefix(verdict.state == .passed ? "yes: " : "no: ") == true, "\(table.output)")

        // The canaries are gone.
        let running = try Connection(uri: ContextConfiguration.defaultLibvirtURI).activeDomains().map(\.name)
        #expect(!running.contains { $0.hasPrefix("dirtyring-canary-") }, "canary left running: \(running)")

        let shown = try Self.runCLI(["qualify", "--show", "--state-dir", stateDirectory])
        #expect(shown.output.hasPrefix("ring qualification: \(verdict.state.rawValue)"), "\(shown.output)")
        let cleared = try Self.runCLI(["qualify", "--clear", "--state-dir", stateDirectory])
        #expect(cleared.status == 0)
        #expect(cleared.output.contains("ring qualification: unknown"))
        #expect(QualificationStore(directory: stateDirectory).loadAll().isEmpty)
    }
}
