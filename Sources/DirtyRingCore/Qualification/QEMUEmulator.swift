/// Where libvirt's QEMU lives, read from its capabilities XML.
public enum QEMUEmulator {
    /// The emulator for x86_64 guests under KVM: the `<emulator>` of `<domain type='kvm'>` when
    /// it has one, else its architecture's; nil when the host offers no x86_64 KVM guest or the
    /// XML cannot be read.
    public static func path(capabilitiesXML: String, arch: String = "x86_64") -> String? {
        guard let document = try? XMLDocument(parsing: capabilitiesXML), let root = document.root else { return nil }
        for guest in document.children(of: root, named: "guest") {
            for archElement in document.children(of: guest, named: "arch") where archElement.attribute("name") == arch {
                guard let kvm = document.children(of: archElement, named: "domain")
                    .first(where: { $0.attribute("type") == "kvm" })
                else { continue }
                let emulator = document.children(of: kvm, named: "emulator").first
                    ?? document.children(of: archElement, named: "emulator").first
                guard let emulator, let content = emulator.content else { continue }
                let path = document.text(content).trimmingSpaces
                if path.hasPrefix("/") { return path }
            }
        }
        return nil
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
