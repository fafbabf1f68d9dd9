/// A transient counting canary of the ring qualification: the dirtyring test guest with the
/// ring on, rewriting a working set at a paced rate.
public struct CanaryDomain: Equatable, Sendable {
    /// Where the canary kernel is installed for libvirt's QEMU to read (`[dirtyring] canary_kernel`).
    public static let defaultKernelPath = "/var/lib/libvirt/boot/dirtyring-canary.elf"

    public var name: String
    /// The test guest's multiboot ELF, booted as `<kernel>`.
    public var kernelPath: String
    /// Where the guest's serial console is written.
    public var serialPath: String
    /// Ring entries per vCPU: the size this host gives its guests (Nova's default is 4096).
    public var ringSize: Int
    /// Working set and paced write rate of the guest, MiB and MiB/s.
    public var workingSetMiB: Int
    public var rateMiBPerSecond: Int

    /// The guest's RAM beyond its working set (its kernel, stack and the low 32 MiB).
    static let overheadMiB = 64

    public init(
        name: String, kernelPath: String, serialPath: String, ringSize: Int, workingSetMiB: Int, rateMiBPerSecond: Int
    ) {
        self.name = name
        self.ringSize = ringSize
        self.kernelPath = kernelPath
        self.serialPath = serialPath
        self.workingSetMiB = workingSetMiB
        self.rateMiBPerSecond = rateMiBPerSecond
    }

    /// The domain XML: 1 vCPU, the working set plus 64 MiB, no disk or network, serial to a file.
    public var xml: String {
        """
        <domain type='kvm'>
          <name>\(escape(name))</name>
          <description>nova-dirtyring ring qualification canary</description>
          <memory unit='MiB'>\(workingSetMiB + Self.overheadMiB)</memory>
          <vcpu>1</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
            <kernel>\(escape(kernelPath))</kernel>
            <cmdline>mb=\(workingSetMiB) rate=\(rateMiBPerSecond)</cmdline>
          </os>
          <features>
            <acpi/>
            <kvm>
              <dirty-ring state='on' size='\(ringSize)'/>
            </kvm>
          </features>
          <clock offset='utc'/>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>destroy</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <serial type='file'>
              <source path='\(escape(serialPath))' append='off'/>
              <target port='0'/>
            </serial>
            <controller type='usb' model='none'/>
            <memballoon model='none'/>
          </devices>
        </domain>
        """
    }

    private func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "'": result += "&apos;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
