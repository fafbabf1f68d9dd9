import ArgumentParser
import DirtyRingCore

#if canImport(Glibc)
import Glibc
#endif

/// `dirtyring domain-xml`: rewrite a libvirt domain's `<kvm>` features with or without the ring.
struct DomainXMLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domain-xml",
        abstract: "Add (or remove) the dirty ring in a libvirt domain XML, as the Nova driver does.",
        discussion: """
            Reads the domain XML from FILE (or standard input with -) and prints it with exactly one \
            <kvm> feature element that keeps its other children and carries \
            <dirty-ring state='on' size='N'/>. Everything else is left byte for byte.
            """
    )

    @Argument(help: "Domain XML file, or - for standard input.")
    var file: String

    @Option(help: "Ring size in entries per vCPU (a power of two from 1024 to 65536).")
    var ringSize: Int = RingSize.default.entries

    @Flag(help: "Remove the dirty ring instead of adding it.")
    var noRing = false

    func run() throws {
        let xml = try CommandFailure.wrap { () throws(DirtyRingError) -> String in try TextFile.read(file) }
        let output = try CommandFailure.wrap { () throws(DirtyRingError) -> String in
            if noRing {
                return try DomainXML.applyDirtyRing(domainXML: xml, ringSize: nil)
            }
            guard let size = RingSize(entries: ringSize) else {
                throw DirtyRingError(
                    kind: .invalidRequest, message: "--ring-size \(ringSize) is invalid: \(RingSize.requirement)")
            }
            return try DomainXML.applyDirtyRing(domainXML: xml, ringSize: size)
        }
        print(output, terminator: output.hasSuffix("\n") ? "" : "\n")
    }
}
