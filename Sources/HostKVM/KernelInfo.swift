#if canImport(Glibc)
import Glibc
#endif

/// Facts about the running kernel that decide whether KVM's dirty ring can work.
public enum KernelInfo {
    /// KVM vendor modules, in the order they are reported when several are loaded.
    public static let kvmModules = ["kvm_intel", "kvm_amd", "kvm_pvm"]

    /// The KVM vendor module loaded, read from `sysModuleDirectory` (`/sys/module`), or nil.
    public static func loadedKVMModule(sysModuleDirectory: String = "/sys/module") -> String? {
        kvmModules.first { access("\(sysModuleDirectory)/\($0)", F_OK) == 0 }
    }

    /// The kernel release (`uname -r`).
    public static func release() -> String {
        var names = utsname()
        guard uname(&names) == 0 else { return "unknown" }
        return withUnsafeBytes(of: &names.release) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

extension KernelInfo {
    /// The first "model name" of `/proc/cpuinfo`, or "unknown".
    public static func cpuModel(cpuinfoPath: String = "/proc/cpuinfo") -> String {
        guard let file = fopen(cpuinfoPath, "r") else { return "unknown" }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 1024)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard line.hasPrefix("model name"), let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingPrefix(" ")
            return String(value.prefix { $0 != "\n" })
        }
        return "unknown"
    }
}
