import DirtyRingHost
import Foundation

/// Watches a test guest's serial log and notes when (host time) each progress line appeared,
/// so the guest's own write rate can be computed over an exact host-time window.
final class SerialRecorder: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    /// Guest second -> (host time the line was first seen, MiB written in that second).
    private var seen: [Int: (Date, Double)] = [:]
    private var running = true
    private var thread: Thread?

    init(path: String) {
        self.path = path
    }

    func start() {
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                    let now = Date()
                    for line in text.split(whereSeparator: \.isNewline) {
                        guard let progress = GuestSerial.latest(text: String(line)) else { continue }
                        lock.withLock {
                            if seen[progress.second] == nil { seen[progress.second] = (now, progress.megabytesPerSecond) }
                        }
                    }
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        self.thread = thread
        thread.start()
    }

    func stop() {
        lock.withLock { running = false }
    }

    /// Waits until a line appeared after `date` (or `timeout` passed).
    func waitForLine(after date: Date, timeout: Double = 5) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if lock.withLock({ seen.values.contains { $0.0 > date } }) { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// The guest's own rate in MiB/s over [from, to]: each second's MiB, spread over the host
    /// interval between its line and the previous one, counted by its overlap with the window.
    func rate(from: Date, to: Date) -> Double? {
        let lines = lock.withLock { seen }.sorted { $0.key < $1.key }
        var written = 0.0
        var covered = 0.0
        for (previous, current) in zip(lines, lines.dropFirst()) where current.key == previous.key + 1 {
            let start = previous.value.0, end = current.value.0
            let length = end.timeIntervalSince(start)
            guard length > 0 else { continue }
            let overlap = min(end, to).timeIntervalSince(max(start, from))
            guard overlap > 0 else { continue }
            written += current.value.1 * overlap / length
            covered += overlap
        }
        let window = to.timeIntervalSince(from)
        guard window > 0, covered >= 0.9 * window else { return nil }
        return written / covered
    }
}
