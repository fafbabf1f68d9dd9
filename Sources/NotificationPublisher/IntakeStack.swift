import DirtyRingCore
import Synchronization

/// A request accepted by `Notifier.notify`, not yet read.
struct Intake: Sendable {
    /// The `dr_notify` request, as given.
    var request: String
    /// When it was accepted: the notification's timestamp unless the request gives one.
    var timestamp: OsloTimestamp
    /// The request's size: what the intake counts against its bound.
    var bytes: Int
}

/// The hand-over from `notify` to the spooler without a lock: producers push onto a lock-free
/// stack (compare-and-swap), the one consumer takes the whole stack at once and reverses it.
/// A caller of `push` therefore never waits for the spooler, even when the spooler is
/// descheduled in the middle of its work.
final class IntakeStack: Sendable {
    private final class Node {
        let intake: Intake
        var next: UInt = 0

        init(_ intake: Intake) {
            self.intake = intake
        }
    }

    private let head = Atomic<UInt>(0)
    private let count = Atomic<Int>(0)
    private let bytes = Atomic<Int>(0)

    /// Events waiting, and their size.
    var waiting: Int { count.load(ordering: .sequentiallyConsistent) }
    var waitingBytes: Int { bytes.load(ordering: .relaxed) }

    func push(_ intake: Intake) {
        let node = Node(intake)
        let bits = UInt(bitPattern: Unmanaged.passRetained(node).toOpaque())
        var current = head.load(ordering: .relaxed)
        while true {
            node.next = current
            let (exchanged, original) = head.compareExchange(
                expected: current, desired: bits, successOrdering: .releasing, failureOrdering: .relaxed)
            if exchanged { break }
            current = original
        }
        count.add(1, ordering: .sequentiallyConsistent)
        bytes.add(intake.bytes, ordering: .relaxed)
    }

    /// Everything pushed so far, oldest first.
    func takeAll() -> [Intake] {
        var bits = head.exchange(0, ordering: .acquiring)
        var taken: [Intake] = []
        while bits != 0, let pointer = UnsafeRawPointer(bitPattern: bits) {
            let node = Unmanaged<Node>.fromOpaque(pointer).takeRetainedValue()
            taken.append(node.intake)
            bits = node.next
        }
        count.subtract(taken.count, ordering: .relaxed)
        bytes.subtract(taken.reduce(0) { $0 + $1.bytes }, ordering: .relaxed)
        return taken.reversed()
    }

    deinit {
        _ = takeAll()
    }
}
