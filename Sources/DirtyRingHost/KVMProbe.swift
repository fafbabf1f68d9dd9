import DirtyRingCore
import HostKVM

/// Turns the KVM device's answers into the facts the core assesses.
enum KVMProbe {
    static func facts(device path: String) -> KVMFacts {
        let module = KernelInfo.loadedKVMModule()
        do {
            let ring = try KVMDevice(path: path).dirtyRingCapability()
            return KVMFacts(
                device: path, available: true, module: module,
                dirtyRingMaxBytes: ring.maximumBytes, dirtyRingMaxEntries: ring.maximumEntries,
                dirtyRingAcqRel: ring.acquireRelease, error: nil)
        } catch {
            return KVMFacts(
                device: path, available: false, module: module,
                dirtyRingMaxBytes: 0, dirtyRingMaxEntries: 0, dirtyRingAcqRel: false,
                error: error.description)
        }
    }
}
