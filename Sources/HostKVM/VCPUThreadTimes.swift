#if canImport(Glibc)
import Glibc
#endif

/// CPU time a QEMU vCPU thread spent in user space and in the kernel (which includes guest
/// mode on hosts that do not account guest time separately).
public struct VCPUThreadTime: Equatable, Sendable {
    public var userNanoseconds: UInt64
    public var systemNanoseconds: UInt64

    public init(userNanoseconds: UInt64, systemNanoseconds: UInt64) {
        self.userNanoseconds = userNanoseconds
        self.systemNanoseconds = systemNanoseconds
    }
}

/// Reads the per-vCPU thread times of a local QEMU process from /proc.
///
/// QEMU names its vCPU threads "CPU N/KVM". A vCPU that runs its guest stays inside KVM (kernel
/// time); one that keeps exiting to QEMU (as on a dirty-ring-full livelock) burns user time.
public enum VCPUThreadTimes {
    /// The QEMU process id in libvirt's pid file (`/run/libvirt/qemu/NAME.pid`), if readable.
    public static func qemuProcess(pidFile: String) -> Int32? {
        guard let text = readSmallFile(pidFile) else { return nil }
        let digits = text.filter { $0.isNumber }
        guard let pid = Int32(digits), pid > 0 else { return nil }
        return pid
    }

    /// The times of each vCPU thread of process `pid`, keyed by vCPU index; empty when unreadable.
    public static func read(pid: Int32) -> [Int: VCPUThreadTime] {
        let taskDirectory = "/proc/\(pid)/task"
        guard let directory = opendir(taskDirectory) else { return [:] }
        defer { closedir(directory) }
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        let nanosecondsPerTick = ticks > 0 ? UInt64(1_000_000_000 / ticks) : 10_000_000
        var result: [Int: VCPUThreadTime] = [:]
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.first?.isNumber == true,
                  let comm = readSmallFile("\(taskDirectory)/\(name)/comm"),
                  let index = vcpuIndex(threadName: comm),
                  let stat = readSmallFile("\(taskDirectory)/\(name)/stat"),
                  let times = userSystemTicks(stat: stat)
            else { continue }
            result[index] = VCPUThreadTime(
                userNanoseconds: times.user &* nanosecondsPerTick, systemNanoseconds: times.system &* nanosecondsPerTick)
        }
        return result
    }

    /// "CPU 3/KVM" -> 3.
    static func vcpuIndex(threadName: String) -> Int? {
        let trimmed = threadName.split(separator: "\n").first ?? ""
        guard trimmed.hasPrefix("CPU "), trimmed.hasSuffix("/KVM") else { return nil }
        return Int(trimmed.dropFirst(4).dropLast(4))
    }

    /// utime and stime (fields 14 and 15) of a /proc stat line, in clock ticks.
    static func userSystemTicks(stat: String) -> (user: UInt64, system: UInt64)? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return (user, system)
    }

    static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }
}
