@testable import DirtyRingCore
import Testing

@Suite struct RingSizeTests {
    @Test(arguments: [512, 1023, 3000, 131072, -4096, 0, Int.max, Int.min])
    func rejects(_ entries: Int) {
        #expect(RingSize(entries: entries) == nil)
    }

    @Test func acceptsPowersOfTwoInRange() {
        #expect(RingSize.allowedValues.map(\.entries) == [1024, 2048, 4096, 8192, 16384, 32768, 65536])
        #expect(RingSize.minimum.entries == 1024 && RingSize.maximum.entries == 65536)
        #expect(RingSize(parsing: " 8192 ")?.entries == 8192)
        #expect(RingSize(parsing: "99999999999999999999999") == nil)
        #expect(RingSize(parsing: "0x1000") == nil)
        #expect(RingSize.largest(notAbove: 5000)?.entries == 4096)
        #expect(RingSize.largest(notAbove: 1000) == nil)
    }
}

@Suite struct VersionTests {
    @Test func parsesAndCompares() {
        #expect(Version("9.0.0") == Version(9, 0, 0))
        #expect(Version("7.2") == Version(7, 2, 0))
        #expect(Version("1.2.3.4") == nil && Version("") == nil && Version("a.b.c") == nil && Version("-1.0.0") == nil)
        #expect(Version("9999999999.0.0") == nil)
        #expect(Version(libvirtInteger: 9_000_000) == Version(9, 0, 0))
        #expect(Version(libvirtInteger: 8_001_002) == Version(8, 1, 2))
        #expect(Version(libvirtInteger: -1) == nil)
        #expect(Version(7, 10, 0) < Version(8, 0, 0) && Version(8, 0, 0) < Version(8, 0, 1))
        #expect(Fixture.json(Version(9, 0, 0)) == #""9.0.0""#)
    }
}

@Suite struct HostSupportTests {
    @Test func usableHost() {
        let support = HostSupport.assess(kvm: Fixture.kvm(maxEntries: 65536), libvirt: Version(8, 0, 0), qemu: Version(6, 1, 0))
        #expect(support == HostSupport(usable: true, maxSize: 65536, reasons: []))
        let small = HostSupport.assess(kvm: Fixture.kvm(maxEntries: 3000), libvirt: Version(9, 0, 0), qemu: Version(7, 2, 0))
        #expect(small.maxSize == 2048)
        let huge = HostSupport.assess(kvm: Fixture.kvm(maxEntries: 1 << 40), libvirt: Version(9, 0, 0), qemu: Version(7, 2, 0))
        #expect(huge.maxSize == 65536)
    }

    @Test func everyFailureHasAReason() {
        let support = HostSupport.assess(kvm: Fixture.kvm(available: false, error: "Permission denied"),
                                         libvirt: Version(7, 0, 0), qemu: Version(6, 0, 0))
        #expect(!support.usable && support.maxSize == 0)
        #expect(support.reasons == ["libvirt 7.0.0 is older than 8.0.0", "QEMU 6.0.0 is older than 6.1.0",
                                    "/dev/kvm unavailable: Permission denied"])
        let noCap = HostSupport.assess(kvm: Fixture.kvm(maxEntries: 0), libvirt: nil, qemu: nil)
        #expect(noCap.reasons == ["libvirt version unknown; 8.0.0 or newer is needed",
                                  "QEMU version unknown; 6.1.0 or newer is needed",
                                  "kernel lacks KVM_CAP_DIRTY_LOG_RING"])
        let tiny = HostSupport.assess(kvm: Fixture.kvm(maxEntries: 512), libvirt: Version(9, 0, 0), qemu: Version(7, 2, 0))
        #expect(tiny.reasons == ["kernel dirty ring maximum of 512 entries is below the minimum of 1024"])
    }
}

@Suite struct ConfigCheckTests {
    func check(_ json: String) -> Fixture.Response? { Fixture.response(ABIRequests.configCheck(json: json)) }

    @Test func defaults() throws {
        let result = try ConfigCheck.check(RingConfig(), host: Fixture.host())
        #expect(result == ConfigCheck.Result(
            config: RingConfig(mode: .auto, size: .default), offersRing: true, maxSize: 65536,
            qualification: Fixture.host().dirtyRing.verdict(for: .default)))
        let response = try #require(check(#"{"config": {}}"#))
        #expect(response.ok == .object(["config": .object(["ring_mode": .string("auto"), "ring_size": .integer(4096)]),
                                        "offers_ring": .bool(false), "max_size": .integer(0),
                                        "needs_qualification": .bool(false)]))
    }

    @Test func badMode() throws {
        let error = try #require(check(#"{"config": {"ring_mode": "bogus"}}"#)?.error)
        #expect(error == DirtyRingError(kind: .invalidConfig,
                                        message: "[dirtyring] ring_mode = 'bogus' is invalid: must be one of auto, on, off",
                                        option: "[dirtyring] ring_mode", value: "bogus"))
    }

    @Test(arguments: ["512", "1023", "3000", "131072", "-4096", "99999999999999999999999", "\"4096\"", "4096.5", "true"])
    func badSize(_ value: String) throws {
        let error = try #require(check(#"{"config": {"ring_size": \#(value)}}"#)?.error)
        #expect(error.kind == .invalidConfig)
        #expect(error.option == "[dirtyring] ring_size")
        #expect(error.message.hasPrefix("[dirtyring] ring_size = "))
        #expect(error.message.hasSuffix("is invalid: must be a power of two between 1024 and 65536"))
    }

    @Test func sizeMessageNamesValue() throws {
        let error = try #require(check(#"{"config": {"ring_size": 3000}}"#)?.error)
        #expect(error.message == "[dirtyring] ring_size = 3000 is invalid: must be a power of two between 1024 and 65536")
        #expect(error.value == "3000")
    }

    @Test(arguments: [1024, 65536])
    func boundarySizes(_ size: Int) throws {
        let config = try RingConfig(ringMode: "on", ringSize: size)
        #expect(try ConfigCheck.check(config, host: Fixture.host()).offersRing)
    }

    @Test func sizeAboveHostMaximum() {
        #expect(throws: DirtyRingError(
            kind: .invalidConfig,
            message: "[dirtyring] ring_size = 8192 exceeds this host's kernel maximum of 4096 entries: must be a power of two between 1024 and 4096",
            option: "[dirtyring] ring_size", value: "8192")) {
            try ConfigCheck.check(RingConfig(mode: .auto, size: RingSize(entries: 8192)!), host: Fixture.host(maxEntries: 4096))
        }
        // Off ignores the host.
        #expect(throws: Never.self) {
            try ConfigCheck.check(RingConfig(mode: .off, size: RingSize(entries: 8192)!), host: Fixture.host(maxEntries: 4096))
        }
    }

    @Test func onNeedsAUsableHost() {
        #expect(throws: DirtyRingError(
            kind: .invalidConfig,
            message: "[dirtyring] ring_mode = on, but this host cannot run the dirty ring: libvirt 7.0.0 is older than 8.0.0; QEMU 6.0.0 is older than 6.1.0",
            option: "[dirtyring] ring_mode", value: "on")) {
            try ConfigCheck.check(RingConfig(mode: .on), host: Fixture.host(libvirt: Version(7, 0, 0), qemu: Version(6, 0, 0)))
        }
        let auto = try? ConfigCheck.check(RingConfig(mode: .auto), host: Fixture.unusableHost)
        #expect(auto == ConfigCheck.Result(config: RingConfig(), offersRing: false, maxSize: 0))
    }
}

@Suite struct RingDecisionTests {
    func decide(mode: RingMode = .auto, size: Int = 4096, host: HostReport = Fixture.host(),
                flavor: [String: String] = [:], image: [String: String] = [:]) throws(DirtyRingError) -> RingDecision.Result {
        try RingDecision.decide(RingDecision.Request(
            config: RingConfig(mode: mode, size: RingSize(entries: size) ?? .default), host: host,
            flavorExtraSpecs: flavor, imageProperties: image))
    }

    @Test func hostDecidesByDefault() throws {
        let on = try decide()
        #expect(on.enabled && on.size == 4096 && on.source == .host)
        #expect(on.reason == "dirty ring on: this host offers it ([dirtyring] ring_mode = auto), 4096 entries ([dirtyring] ring_size)")
        let off = try decide(mode: .off)
        #expect(!off.enabled && off.size == 0 && off.source == .host)
        #expect(off.reason == "dirty ring off: dirty ring is disabled here ([dirtyring] ring_mode = off)")
        let unusable = try decide(host: Fixture.unusableHost)
        #expect(!unusable.enabled && unusable.reason == "dirty ring off: libvirt 7.0.0 is older than 8.0.0")
    }

    /// Every combination of flavor and image ring settings on a host that offers the ring and
    /// one that has it off.
    @Test(arguments: [nil, "on", "off", "auto"] as [String?], [nil, "on", "off", "auto"] as [String?])
    func precedence(flavor: String?, image: String?) throws {
        let flavorSpecs = flavor.map { ["dirtyring:ring": $0] } ?? [:]
        let imageProps = image.map { ["dirtyring_ring": $0] } ?? [:]
        let explicit: (String, RingSettingSource)? =
            if let flavor, flavor != "auto" { (flavor, .flavor) }
            else if let image, image != "auto" { (image, .image) } else { nil }
        for hostMode in [RingMode.auto, .on, .off] {
            switch explicit {
            case ("on", let source)? where hostMode == .off:
                do {
                    _ = try decide(mode: hostMode, flavor: flavorSpecs, image: imageProps)
                    Issue.record("expected unsupported")
                } catch {
                    let key = source == .flavor ? "dirtyring:ring" : "dirtyring_ring"
                    #expect(error == DirtyRingError(kind: .unsupported, message:
                        "\(source.rawValue) requests \(key)=on but host cannot run the dirty ring: dirty ring is disabled here ([dirtyring] ring_mode = off)"))
                }
            case (let value, let source)?:
                let result = try decide(mode: hostMode, flavor: flavorSpecs, image: imageProps)
                #expect(result.enabled == (value == "on"))
                #expect(result.source == source)
            case nil:
                let result = try decide(mode: hostMode, flavor: flavorSpecs, image: imageProps)
                #expect(result.enabled == (hostMode != .off))
                #expect(result.source == .host)
            }
        }
    }

    @Test func sizePrecedence() throws {
        #expect(try decide(flavor: ["dirtyring:ring_size": "8192"], image: ["dirtyring_ring_size": "2048"]).size == 8192)
        #expect(try decide(image: ["dirtyring_ring_size": "2048"]).size == 2048)
        #expect(try decide(size: 16384).size == 16384)
        let result = try decide(flavor: ["dirtyring:ring": "on", "dirtyring:ring_size": "8192"])
        #expect(result.reason == "dirty ring on: flavor extra spec dirtyring:ring = on, 8192 entries (dirtyring:ring_size)")
    }

    @Test func explicitOnThatDoesNotFit() {
        #expect(throws: DirtyRingError(kind: .unsupported, message:
            "flavor requests dirtyring:ring=on but host cannot run the dirty ring: a ring of 8192 entries exceeds the kernel maximum of 4096 entries")) {
            try decide(host: Fixture.host(maxEntries: 4096), flavor: ["dirtyring:ring": "on", "dirtyring:ring_size": "8192"])
        }
        #expect(throws: DirtyRingError(kind: .unsupported, message:
            "image requests dirtyring_ring=on but host cannot run the dirty ring: libvirt 7.0.0 is older than 8.0.0")) {
            try decide(host: Fixture.unusableHost, image: ["dirtyring_ring": "on"])
        }
    }

    @Test func autoThatDoesNotFitBootsWithout() throws {
        let result = try decide(host: Fixture.host(maxEntries: 4096), image: ["dirtyring_ring_size": "8192"])
        #expect(!result.enabled && result.size == 0 && result.source == .host)
        #expect(result.reason == "dirty ring off: a ring of 8192 entries exceeds the kernel maximum of 4096 entries")
    }

    @Test(arguments: ["512", "1023", "3000", "131072", "-1", "huge", "", "99999999999999999999"])
    func invalidSizes(_ value: String) {
        #expect(throws: DirtyRingError(kind: .invalidRequest, message:
            "flavor extra spec dirtyring:ring_size = '\(value)' is invalid: must be a power of two between 1024 and 65536")) {
            try decide(flavor: ["dirtyring:ring_size": value])
        }
        #expect(throws: DirtyRingError(kind: .invalidRequest, message:
            "image property dirtyring_ring_size = '\(value)' is invalid: must be a power of two between 1024 and 65536")) {
            try decide(image: ["dirtyring_ring_size": value])
        }
    }

    @Test func invalidMode() {
        #expect(throws: DirtyRingError(kind: .invalidRequest, message:
            "image property dirtyring_ring = 'maybe' is invalid: must be one of auto, on, off")) {
            try decide(flavor: ["dirtyring:ring": "off"], image: ["dirtyring_ring": "maybe"])
        }
        #expect(throws: Never.self) { try decide(flavor: ["dirtyring:ring": " ON "]) }
    }

    @Test func viaJSON() throws {
        let request = #"{"config": {"ring_mode": "auto"}, "host": \#(Fixture.json(Fixture.host())), "flavor_extra_specs": {"hw:cpu_policy": "dedicated", "dirtyring:ring_size": "8192", "quota:x": 5}, "image_properties": null}"#
        let response = try #require(Fixture.response(ABIRequests.ringDecide(json: request)))
        guard case .object(let ok)? = response.ok else { Issue.record("no ok"); return }
        #expect(ok["enabled"] == .bool(true) && ok["size"] == .integer(8192) && ok["source"] == .string("host"))
    }
}

@Suite struct DestinationCheckTests {
    func check(_ size: Int, mode: RingMode = .auto, host: HostReport = Fixture.host()) throws(DirtyRingError) -> DestinationCheck.Result {
        try DestinationCheck.check(DestinationCheck.Request(config: RingConfig(mode: mode), host: host, hostName: "cmp-2", instanceRingSize: size))
    }

    @Test func noRingGoesAnywhere() throws {
        #expect(try check(0, mode: .off, host: Fixture.unusableHost).allowed)
    }

    @Test func refusals() throws {
        #expect(try check(4096, host: Fixture.host(maxEntries: 2048))
            == DestinationCheck.Result(allowed: false, reason: "destination cmp-2 cannot run this instance's dirty ring of 4096 entries: its kernel maximum is 2048 entries"))
        #expect(try check(4096, mode: .off).reason
            == "destination cmp-2 cannot run this instance's dirty ring of 4096 entries: dirty ring is disabled there ([dirtyring] ring_mode = off)")
        #expect(try check(4096, host: Fixture.unusableHost).reason
            == "destination cmp-2 cannot run this instance's dirty ring of 4096 entries: libvirt 7.0.0 is older than 8.0.0")
    }

    @Test func acceptance() throws {
        let result = try check(65536)
        #expect(result.allowed && result.reason.contains("cmp-2") && result.reason.contains("65536"))
    }

    @Test(arguments: [-1, 3000, 131072, Int.max])
    func invalidSize(_ size: Int) {
        #expect(throws: DirtyRingError.self) { try check(size) }
    }
}
