import Foundation
import HostKVM
import Testing

/// The KVM probe on this machine's real /dev/kvm.
@Suite("KVM device")
struct KVMDeviceTests {
    @Test("the kernel's dirty-ring capability is read from /dev/kvm")
    func realDevice() throws {
        let capability = try KVMDevice().dirtyRingCapability()
        #expect(capability.maximumBytes > 0, "this machine's kernel offers KVM_CAP_DIRTY_LOG_RING")
        #expect(capability.maximumEntries * KVMDevice.DirtyRingCapability.entryBytes == capability.maximumBytes)
        #expect(capability.maximumEntries.nonzeroBitCount == 1, "ring maxima are powers of two")
    }

    @Test("a missing device is an open error naming the path")
    func missingDevice() {
        #expect(throws: KVMError(operation: "open", path: "/dev/no-such-kvm", code: ENOENT)) {
            try KVMDevice(path: "/dev/no-such-kvm").dirtyRingCapability()
        }
    }

    @Test("a device that is not KVM is an ioctl error")
    func notKVM() throws {
        let error = try #require(throws: KVMError.self) { try KVMDevice(path: "/dev/null").dirtyRingCapability() }
        #expect(error.operation == "ioctl")
        #expect(error.description.contains("/dev/null"))
    }

    @Test("the loaded KVM module is found in /sys/module")
    func module() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sysmodule-\(getpid())")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("kvm_amd"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(KernelInfo.loadedKVMModule(sysModuleDirectory: directory.path) == "kvm_amd")
        #expect(KernelInfo.loadedKVMModule(sysModuleDirectory: "/nonexistent") == nil)
        #expect(KernelInfo.loadedKVMModule() != nil, "this machine has a KVM module loaded")
    }

    @Test("the kernel release is uname's")
    func release() throws {
        let expected = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(KernelInfo.release() == expected)
    }
}
