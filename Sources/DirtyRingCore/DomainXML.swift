/// The dirty ring in a full libvirt `<domain>` document.
public enum DomainXML {
    /// The elements `<features>` is placed before when the domain has no `<os>`, in libvirt's
    /// schema order.
    private static let elementsAfterFeatures: Set<String> = [
        "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "pm", "perf", "idmap", "devices",
        "seclabel", "keywrap", "launchSecurity",
    ]

    /// The document with `<features><kvm>` carrying the dirty ring of `ringSize`, or without
    /// any dirty ring when nil (an emptied `<kvm>` is removed). Other `<kvm>` children and
    /// everything else are kept byte for byte.
    public static func applyDirtyRing(domainXML: String, ringSize: RingSize?) throws(DirtyRingError) -> String {
        let document = try XMLDocument(parsing: domainXML)
        let domain = try domainElement(of: document)
        let features = document.children(of: domain, named: "features")
        guard features.count <= 1 else {
            throw DirtyRingError(kind: .invalidRequest, message: "the domain has \(features.count) <features> elements")
        }
        guard let feature = features.first else {
            guard let ringSize else { return domainXML }
            return try document.applying([newFeatures(ringSize, in: domain, of: document)])
        }
        let kvms = document.children(of: feature, named: "kvm")
        guard kvms.count <= 1 else {
            throw DirtyRingError(kind: .invalidRequest, message: "the domain has \(kvms.count) <kvm> elements in <features>")
        }
        guard let kvm = kvms.first else {
            guard let ringSize else { return domainXML }
            let fragment = XMLFragment("kvm", children: [.dirtyRing(ringSize)])
            return try document.applying([document.insertion(of: fragment, into: feature)])
        }
        let others = kvm.children.compactMap(document.element(at:)).filter { $0.name != "dirty-ring" }
        if ringSize == nil, others.isEmpty {
            return try document.applying([document.removal(of: kvm)])
        }
        return try document.applying(KVMElement.dirtyRingEdits(in: kvm, of: document, ringSize: ringSize))
    }

    /// The ring size of the domain's `<dirty-ring state='on' size='N'/>`, or nil when the
    /// domain has none or has it off.
    public static func dirtyRingSize(domainXML: String) throws(DirtyRingError) -> Int? {
        let document = try XMLDocument(parsing: domainXML)
        let domain = try domainElement(of: document)
        guard let features = document.children(of: domain, named: "features").first,
              let kvm = document.children(of: features, named: "kvm").first,
              let ring = document.children(of: kvm, named: "dirty-ring").first,
              ring.attribute("state") == "on"
        else { return nil }
        guard let text = ring.attribute("size"), let size = DecimalInteger.parse(text) else {
            throw DirtyRingError(
                kind: .invalidRequest,
                message: "<dirty-ring state='on'> has size '\(ring.attribute("size") ?? "")', not an integer")
        }
        return size
    }

    private static func domainElement(of document: XMLDocument) throws(DirtyRingError) -> XMLElement {
        guard let root = document.root, root.name == "domain" else {
            throw DirtyRingError(
                kind: .invalidRequest,
                message: "expected a <domain> document, not <\(document.root?.name ?? "")>")
        }
        return root
    }

    /// Adds `<features>` after `<os>`, else before the first element libvirt orders after it,
    /// else at the end of the domain.
    private static func newFeatures(_ ringSize: RingSize, in domain: XMLElement, of document: XMLDocument) -> XMLEdit {
        let fragment = XMLFragment("features", children: [XMLFragment("kvm", children: [.dirtyRing(ringSize)])])
        let children = domain.children.compactMap(document.element(at:))
        if let os = children.first(where: { $0.name == "os" }) {
            return document.insertion(of: fragment, after: os)
        }
        if let next = children.first(where: { elementsAfterFeatures.contains($0.name) }) {
            return document.insertion(of: fragment, before: next)
        }
        return document.insertion(of: fragment, into: domain)
    }
}
