/// Random numbers for notification identifiers (`message_id`, `_unique_id`): xoshiro256**
/// seeded from the system generator and seeded again every 4096 draws. A notification needs
/// eight 64-bit draws, each a system call with `SystemRandomNumberGenerator` alone; identifiers
/// only have to be unique, not secret.
struct RandomPool: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var remaining = 0

    mutating func next() -> UInt64 {
        if remaining == 0 {
            var system = SystemRandomNumberGenerator()
            repeat {
                state = (system.next(), system.next(), system.next(), system.next())
            } while state == (0, 0, 0, 0)
            remaining = 4096
        }
        remaining -= 1
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
