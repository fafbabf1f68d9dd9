import Glibc

extension timeval {
    /// A non-negative `timeval` for `duration`.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self.init()
        guard seconds >= 0, attoseconds >= 0 else { return }
        tv_sec = Int(clamping: seconds)
        tv_usec = Int(attoseconds / 1_000_000_000_000)
    }
}
