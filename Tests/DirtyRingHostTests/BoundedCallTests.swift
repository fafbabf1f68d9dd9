import DirtyRingCore
import DirtyRingHost
import Foundation
import Testing

@Suite("Bounded calls")
struct BoundedCallTests {
    @Test("a call that answers returns its value")
    func answers() throws {
        #expect(try BoundedCall.run("adding", seconds: 5) { 40 + 2 } == 42)
    }

    @Test("a call's error is passed through")
    func passesErrors() {
        let expected = DirtyRingError(kind: .libvirt, message: "boom")
        #expect(throws: expected) {
            try BoundedCall.run("failing", seconds: 5) { () throws(DirtyRingError) -> Int in throw expected }
        }
    }

    @Test("a call that hangs becomes a timeout error naming the operation")
    func hangs() throws {
        let started = Date()
        let error = try #require(throws: DirtyRingError.self) {
            try BoundedCall.run("asking a hung daemon", seconds: 0.2) { () -> Int in
                sleep(30)
                return 0
            }
        }
        #expect(error.kind == .timeout)
        #expect(error.message == "asking a hung daemon did not answer within 0.2 s")
        #expect(Date().timeIntervalSince(started) < 10, "the caller was released long before the call ended")
    }
}
