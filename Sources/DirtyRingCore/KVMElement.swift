/// The `<kvm>` element of a guest's `<features>`, which carries the dirty ring.
public enum KVMElement {
    /// The request of `dr_kvm_element`.
    public struct Request: Codable, Sendable {
        /// The `<kvm>` element Nova generated, if any.
        public var kvmXML: String?
        public var ringSize: RingSize

        public init(kvmXML: String?, ringSize: RingSize) {
            self.kvmXML = kvmXML
            self.ringSize = ringSize
        }

        enum CodingKeys: String, CodingKey {
            case kvmXML = "kvm_xml"
            case ringSize = "ring_size"
        }
    }

    /// The result of `dr_kvm_element`.
    public struct Result: Codable, Equatable, Sendable {
        public var kvmXML: String

        public init(kvmXML: String) {
            self.kvmXML = kvmXML
        }

        enum CodingKeys: String, CodingKey {
            case kvmXML = "kvm_xml"
        }
    }

    /// One `<kvm>` element that keeps every child of `kvmXML` in order and carries
    /// `<dirty-ring state='on' size='N'/>`, in place of any `<dirty-ring>` it had.
    public static func merge(kvmXML: String?, ringSize: RingSize) throws(DirtyRingError) -> String {
        let fresh = XMLFragment("kvm", children: [.dirtyRing(ringSize)])
        guard let kvmXML else { return fresh.render(nil) }
        let document = try XMLDocument(parsing: kvmXML)
        guard let kvm = document.root, kvm.name == "kvm" else {
            throw DirtyRingError(
                kind: .invalidRequest,
                message: "kvm_xml must be a <kvm> element, not <\(document.root?.name ?? "")>")
        }
        let edited = try document.applying(dirtyRingEdits(in: kvm, of: document, ringSize: ringSize))
        // The edits fall inside the root, so what precedes and follows it keeps its length.
        let trailing = document.source.count - kvm.range.upperBound
        guard let element = String(edited.utf8.dropFirst(kvm.range.lowerBound).dropLast(trailing)) else {
            throw DirtyRingError(kind: .internal, message: "the edited <kvm> element is not valid UTF-8")
        }
        return element
    }

    /// The edits that leave `kvm` with exactly the dirty ring `ringSize` (none when nil): the
    /// first `<dirty-ring>` child is rewritten in place, others removed, and without one a new
    /// child is appended.
    static func dirtyRingEdits(in kvm: XMLElement, of document: XMLDocument, ringSize: RingSize?) -> [XMLEdit] {
        let existing = document.children(of: kvm, named: "dirty-ring")
        guard let ringSize else { return existing.map(document.removal(of:)) }
        guard let first = existing.first else {
            return [document.insertion(of: .dirtyRing(ringSize), into: kvm)]
        }
        return [document.replacement(of: first, with: .dirtyRing(ringSize))]
            + existing.dropFirst().map(document.removal(of:))
    }
}
