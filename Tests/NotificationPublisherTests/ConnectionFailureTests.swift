import AMQPClient
import DirtyRingCore
import Foundation
import NotificationPublisher
import Testing

/// Broker failures are typed errors, within their timeouts, without secrets.
@Suite struct ConnectionFailureTests {
    @Test func refusedPortIsATypedErrorWithinTheConnectTimeout() throws {
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            _ = try AMQPConnection.open(host: "127.0.0.1", port: 1, virtualHost: "/", user: "guest", password: "guest",
                                        timeouts: AMQPTimeouts(connect: .seconds(2)))
        } throws: { error in
            (error as? AMQPError)?.kind == .connectFailed && (error as? AMQPError)?.address == "127.0.0.1:1"
        }
        #expect(start.duration(to: clock.now) < .seconds(3))
    }

    @Test func publisherFailsOverToTheNextHost() throws {
        let url = try TransportURL.parse(Fixtures.url)
        let working = try #require(url.hosts.first)
        let refused = "\(working.loginUsername):\(working.loginPassword)@127.0.0.1:1"
        let both = try TransportURL.parse("rabbit://\(refused),\(working.loginUsername):\(working.loginPassword)@\(working.address)/")
        let publisher = try NotificationPublisher.connect(
            to: NotificationBroker(url: both, options: RabbitOptions(), timeouts: AMQPTimeouts(connect: .seconds(2))))
        defer { publisher.close() }
        #expect(publisher.connection.address == working.address)
    }

    @Test func everyHostRefusedListsEachAttempt() throws {
        let url = try TransportURL.parse("rabbit://guest:s3cret-Pw@127.0.0.1:1,guest:s3cret-Pw@127.0.0.1:2/")
        #expect {
            _ = try NotificationPublisher.connect(
                to: NotificationBroker(url: url, options: RabbitOptions(), timeouts: AMQPTimeouts(connect: .seconds(2))))
        } throws: { error in
            guard let error = error as? AMQPError else { return false }
            return error.kind == .connectFailed && error.text.contains("127.0.0.1:1") && error.text.contains("127.0.0.1:2")
                && !error.description.contains("s3cret-Pw")
        }
    }

    @Test func wrongPasswordIsATypedErrorWithoutThePassword() throws {
        let host = try #require(Fixtures.broker().hosts.first)
        let password = "Wr0ng-Pa55word-\(UUID().uuidString)"
        let clock = ContinuousClock()
        let start = clock.now
        #expect {
            _ = try AMQPConnection.open(host: host.hostname, port: host.port, virtualHost: "/", user: host.loginUsername,
                                        password: password, timeouts: AMQPTimeouts(handshake: .seconds(5)))
        } throws: { error in
            guard let error = error as? AMQPError else { return false }
            return error.kind == .loginFailed && !error.description.contains(password)
                && !"\(error)".contains(password) && !String(reflecting: error).contains(password)
        }
        #expect(start.duration(to: clock.now) < .seconds(6))
    }

    @Test func argumentsTheProtocolCannotCarryAreRejected() {
        #expect(throws: AMQPError.self) {
            _ = try AMQPConnection.open(host: "127.0.0.1", port: 70000, virtualHost: "/", user: "guest", password: "guest")
        }
        #expect(throws: AMQPError.self) {
            _ = try AMQPConnection.open(host: "127.0.0.1\0x", port: 5672, virtualHost: "/", user: "guest", password: "guest")
        }
    }
}
