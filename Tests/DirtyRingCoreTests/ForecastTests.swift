@testable import DirtyRingCore
import DirtyRingTestSupport
import Foundation
import Testing

/// The pre-copy forecast against arithmetic done by hand from the model's definition.
@Suite struct ForecastTests {
    static func parameters(
        memory: Int = 1024, rate: Double, bandwidth: Double = 100, downtime: Double = 500, deadline: Double = 1000,
        workingSet: Int? = nil
    ) throws -> ForecastParameters {
        try ForecastParameters(memoryMiB: memory, dirtyRate: rate, bandwidth: bandwidth, maxDowntimeMilliseconds: downtime,
                               deadlineSeconds: deadline, workingSetMiB: workingSet)
    }

    static func forecast(_ json: String) throws -> Forecast {
        let text = ABIRequests.migrationForecast(json: json)
        let envelope = try JSONDecoder().decode([String: Forecast].self, from: Data(text.utf8))
        return try #require(envelope["ok"], "\(text)")
    }

    static func error(_ json: String) throws -> DirtyRingError {
        try #require(Fixture.response(ABIRequests.migrationForecast(json: json))?.error)
    }

    @Test func halvingWorkedExample() throws {
        // M = 1024 MiB, B = 100 MiB/s, D = 50 MiB/s (rho = 1/2), T = 500 ms: B*T = 50 MiB.
        // Round 1 sends 1024 MiB in 10.24 s, dirtying 512; then 512 (5.12 s, dirtying 256),
        // 256 (2.56 s), 128 (1.28 s), 64 (0.64 s, dirtying 32). 32 <= 50: stop-and-copy of 32 MiB
        // in 0.32 s. Rounds 5; time (1024 + 512 + 256 + 128 + 64 + 32) / 100 = 20.16 s;
        // 2016 MiB sent; downtime 320 ms; floor 1024 / 100 = 10.24 s.
        let forecast = Forecast(try Self.parameters(rate: 50))
        #expect(forecast == Forecast(converges: true, rounds: 5, totalSeconds: 20.16, bytesSent: 2016 * 1_048_576,
                                     downtimeMilliseconds: 320, floorSeconds: 10.24, limitMegabytesPerSecond: nil))
    }

    @Test func quarterWorkedExampleThroughJSON() throws {
        // M = 4096, B = 200, D = 50 (rho = 1/4), T = 100 ms: B*T = 20 MiB.
        // Sends 4096 (20.48 s), 1024 (5.12 s), 256 (1.28 s), 64 (0.32 s); then 16 <= 20 is the
        // stop-and-copy (0.08 s). Rounds 4; (4096 + 1024 + 256 + 64 + 16) / 200 = 27.28 s; 80 ms.
        let forecast = try Self.forecast(#"{"memory_mib": 4096, "dirty_rate_megabytes_per_second": 50, "bandwidth_megabytes_per_second": 200, "max_downtime_ms": 100, "deadline_seconds": 3276.8}"#)
        #expect(forecast == Forecast(converges: true, rounds: 4, totalSeconds: 27.28, bytesSent: 5456 * 1_048_576,
                                     downtimeMilliseconds: 80, floorSeconds: 20.48, limitMegabytesPerSecond: nil))
    }

    @Test func idleGuestTakesOneRound() throws {
        // D = 0: round 1 copies everything and nothing is left: 2048 / 100 = 20.48 s, no downtime.
        let forecast = Forecast(try Self.parameters(memory: 2048, rate: 0))
        #expect(forecast == Forecast(converges: true, rounds: 1, totalSeconds: 20.48, bytesSent: 2048 * 1_048_576,
                                     downtimeMilliseconds: 0, floorSeconds: 20.48, limitMegabytesPerSecond: nil))
    }

    @Test(arguments: [0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99])
    func closedForm(_ rho: Double) throws {
        // Sends M, M rho, ..., M rho^n (the last one the stop-and-copy), so the total is
        // (M / B)(1 - rho^(n+1)) / (1 - rho): below (M / B) / (1 - rho) by at most T rho / (1 - rho),
        // since M rho^n <= B T.
        let (memory, bandwidth, downtime) = (8192, 125.0, 300.0)
        let forecast = Forecast(try Self.parameters(memory: memory, rate: rho * bandwidth, bandwidth: bandwidth,
                                                    downtime: downtime, deadline: 1e6))
        let closed = Double(memory) / bandwidth / (1 - rho)
        #expect(forecast.converges)
        #expect(forecast.totalSeconds <= closed + 1e-5)
        #expect(closed - forecast.totalSeconds <= downtime / 1000 * rho / (1 - rho) + 1e-5)
    }

    @Test func limitIsTheLargestThatConverges() throws {
        // 2048 MiB at 120 MiB/s against 100 MiB/s never converges. With rho = L / 100 the total
        // lies between (M / B) / (1 - rho) - T rho / (1 - rho) and (M / B) / (1 - rho) (see
        // closedForm), so the largest rho finishing in 1600 s lies between 1 - 20.48 / 1600 = 0.9872
        // and (1600 - 20.48) / (1600 - 0.5) = 0.987509...
        let parameters = try Self.parameters(memory: 2048, rate: 120, deadline: 1600)
        let forecast = Forecast(parameters)
        #expect(!forecast.converges)
        let limit = try #require(forecast.limitMegabytesPerSecond)
        #expect(limit >= 98.72 && limit <= 98.751, "\(limit)")
        #expect(Forecast(parameters.limited(to: limit)).converges)
        #expect(!Forecast(parameters.limited(to: limit + 0.001)).converges)
        #expect((limit * 1000).rounded() == limit * 1000)
    }

    @Test func limitOnRandomMigrations() throws {
        var generator = SeededGenerator(seed: 7)
        var limits = 0
        for _ in 0..<200 {
            let bandwidth = Double.random(in: 1...2000, using: &generator)
            let parameters = try Self.parameters(
                memory: Int.random(in: 1...65536, using: &generator),
                rate: Double.random(in: 0...3000, using: &generator), bandwidth: bandwidth,
                downtime: Double.random(in: 0...2000, using: &generator),
                deadline: Double.random(in: 0...5000, using: &generator),
                workingSet: Bool.random(using: &generator) ? Int.random(in: 0...65536, using: &generator) : nil)
            let forecast = Forecast(parameters)
            guard let limit = forecast.limitMegabytesPerSecond else {
                #expect(forecast.converges || forecast.floorSeconds > parameters.deadlineSeconds, "\(parameters)")
                continue
            }
            limits += 1
            #expect(!forecast.converges && limit < parameters.dirtyRate)
            #expect(Forecast(parameters.limited(to: limit)).converges, "\(parameters)")
            #expect(!Forecast(parameters.limited(to: limit + 0.001)).converges, "\(parameters)")
        }
        #expect(limits > 20)
    }

    @Test func fasterThanTheLinkNeverConverges() throws {
        // D = 150 > B = 100 with the whole memory writable: every round dirties more than it sent.
        let forecast = Forecast(try Self.parameters(rate: 150, deadline: 1e9))
        #expect(!forecast.converges)
        #expect(forecast.rounds == ForecastSimulation.maximumRounds)
        #expect(forecast.limitMegabytesPerSecond != nil)
        let atTheLink = Forecast(try Self.parameters(rate: 100, deadline: 1e9))
        #expect(!atTheLink.converges)
    }

    @Test func hotSetThatFitsTheDowntimeConverges() throws {
        // D = 150 > B = 100, but only W = 40 MiB is ever rewritten and B*T = 50 MiB: round 1 sends
        // 1024 MiB (10.24 s), dirtying min(1536, 40) = 40 <= 50: stop-and-copy of 40 MiB (0.4 s).
        let forecast = Forecast(try Self.parameters(rate: 150, workingSet: 40))
        #expect(forecast == Forecast(converges: true, rounds: 1, totalSeconds: 10.64, bytesSent: 1064 * 1_048_576,
                                     downtimeMilliseconds: 400, floorSeconds: 10.24, limitMegabytesPerSecond: nil))
    }

    @Test func hotSetLargerThanTheDowntimeStopsAtTheDeadline() throws {
        // W = 60 > B*T = 50 with D >= B: after round 1 (10.24 s) every round resends 60 MiB in
        // 0.6 s. The deadline of 100 s passes during round 151 (10.24 + 150 * 0.6 = 100.24 s);
        // forcing the switch-over then would pause the guest 600 ms.
        let forecast = Forecast(try Self.parameters(rate: 150, deadline: 100, workingSet: 60))
        #expect(!forecast.converges)
        #expect(forecast.rounds == 151)
        #expect(abs(forecast.totalSeconds - 100.24) < 1e-5)
        #expect(forecast.bytesSent == (1024 + 150 * 60) * 1_048_576)
        #expect(forecast.downtimeMilliseconds == 600)
    }

    @Test func deadlineBeforeTheFloorHasNoLimit() throws {
        // Copying 1024 MiB once takes 10.24 s; no limit fits that in 5 s.
        let forecast = Forecast(try Self.parameters(rate: 50, deadline: 5))
        #expect(!forecast.converges && forecast.limitMegabytesPerSecond == nil && forecast.floorSeconds == 10.24)
        let json = ABIRequests.migrationForecast(json: #"{"memory_mib": 1024, "dirty_rate_megabytes_per_second": 50, "bandwidth_megabytes_per_second": 100, "max_downtime_ms": 500, "deadline_seconds": 5}"#)
        #expect(json.contains(#""limit_megabytes_per_second":null"#))
    }

    @Test func workingSetLargerThanMemoryIsTheMemory() throws {
        #expect(try Self.parameters(rate: 50, workingSet: 1 << 40).workingSetMiB == 1024)
        #expect(Forecast(try Self.parameters(rate: 50, workingSet: 1 << 40)) == Forecast(try Self.parameters(rate: 50)))
    }

    @Test(arguments: [
        (#""memory_mib": 0"#, "memory_mib"), (#""memory_mib": -1024"#, "memory_mib"),
        (#""memory_mib": 1073741824"#, "memory_mib"), (#""memory_mib": 1.5"#, "memory_mib"),
        (#""dirty_rate_megabytes_per_second": -1"#, "dirty_rate_megabytes_per_second"),
        (#""dirty_rate_megabytes_per_second": 1e300"#, "dirty_rate_megabytes_per_second"),
        (#""bandwidth_megabytes_per_second": 0"#, "bandwidth_megabytes_per_second"),
        (#""bandwidth_megabytes_per_second": 1e-300"#, "bandwidth_megabytes_per_second"),
        (#""bandwidth_megabytes_per_second": "fast""#, "bandwidth_megabytes_per_second"),
        (#""max_downtime_ms": -0.5"#, "max_downtime_ms"), (#""max_downtime_ms": null"#, "max_downtime_ms"),
        (#""deadline_seconds": -1"#, "deadline_seconds"), (#""deadline_seconds": 1e12"#, "deadline_seconds"),
        (#""working_set_mib": -1"#, "working_set_mib"),
    ])
    func invalidFieldsAreNamed(_ field: String, _ name: String) throws {
        var values = [
            "memory_mib": "1024", "dirty_rate_megabytes_per_second": "50", "bandwidth_megabytes_per_second": "100",
            "max_downtime_ms": "500", "deadline_seconds": "1000",
        ]
        values[name] = nil
        let json = "{" + (values.map { "\"\($0.key)\": \($0.value)" } + [field]).joined(separator: ", ") + "}"
        let error = try Self.error(json)
        #expect(error.kind == .invalidRequest, "\(error)")
        #expect(error.message.contains(name), "\(error)")
    }

    @Test func missingFieldIsNamed() throws {
        let error = try Self.error(#"{"memory_mib": 1024, "dirty_rate_megabytes_per_second": 50, "max_downtime_ms": 500, "deadline_seconds": 1}"#)
        #expect(error == DirtyRingError(kind: .invalidRequest, message: "the request lacks the field 'bandwidth_megabytes_per_second'"))
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity, -1])
    func nonFiniteInputsAreRefused(_ value: Double) {
        for index in 0..<4 {
            var numbers = [50.0, 100, 500, 1000]
            numbers[index] = value
            #expect(throws: DirtyRingError.self) {
                try ForecastParameters(memoryMiB: 1024, dirtyRate: numbers[0], bandwidth: numbers[1],
                                       maxDowntimeMilliseconds: numbers[2], deadlineSeconds: numbers[3])
            }
        }
    }

    @Test func extremesStayFiniteAndEncode() throws {
        let big = Double(1 << 30)
        let cases = [
            try Self.parameters(memory: 1 << 29, rate: big, bandwidth: 0.001, downtime: 1e9, deadline: 1e9),
            try Self.parameters(memory: 1 << 29, rate: big, bandwidth: 0.001, downtime: 0, deadline: 1e9),
            try Self.parameters(memory: 1 << 29, rate: big, bandwidth: big, downtime: 0, deadline: 1e9),
            try Self.parameters(memory: 1 << 29, rate: big / 2, bandwidth: big, downtime: 0, deadline: 1e9),
            try Self.parameters(memory: 1 << 29, rate: big, bandwidth: big, downtime: 1e9, deadline: 0),
            try Self.parameters(memory: 1, rate: 0.000_001, bandwidth: 0.001, downtime: 0, deadline: 0),
            try Self.parameters(memory: 1 << 29, rate: big, bandwidth: big - 1, downtime: 1, deadline: 1e9, workingSet: 0),
        ]
        for parameters in cases {
            let forecast = Forecast(parameters)
            let numbers = [forecast.totalSeconds, forecast.downtimeMilliseconds, forecast.floorSeconds,
                           forecast.limitMegabytesPerSecond ?? 0]
            #expect(numbers.allSatisfy { $0.isFinite }, "\(parameters)")
            #expect(forecast.bytesSent >= 0 && forecast.rounds >= 1)
            #expect(ABIRequests.ok(forecast).hasPrefix(#"{"ok":{"#), "\(parameters)")
        }
    }
}

/// Ordering guests by what migrating them costs.
@Suite struct ForecastEntryTests {
    static func entry(_ domain: String, rate: Double, memory: Int = 1024, deadline: Double = 1000) throws -> ForecastEntry {
        let measurement = PrecheckTests.measurement(domain: domain, rate: rate, memory: memory)
        return .forecast(measurement, Forecast(try ForecastTests.parameters(memory: memory, rate: rate, deadline: deadline)))
    }

    @Test func cheapestFirstFailuresLast() throws {
        let entries = [
            ForecastEntry.failed(domain: "a-gone", DirtyRingError(kind: .libvirt, message: "no domain")),
            try Self.entry("b-never", rate: 50, deadline: 5),
            try Self.entry("c-never-bigger", rate: 50, memory: 4096, deadline: 5),
            try Self.entry("d-hot", rate: 150),
            try Self.entry("e-warm", rate: 110),
            try Self.entry("f-slow", rate: 50),
            try Self.entry("g-idle", rate: 0),
            try Self.entry("h-idle", rate: 0),
        ]
        let order = ForecastEntry.sortedByMigrationCost(entries).map(\.domain)
        #expect(order == ["g-idle", "h-idle", "f-slow", "e-warm", "d-hot", "b-never", "c-never-bigger", "a-gone"])
    }
}
