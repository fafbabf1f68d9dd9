@testable import DirtyRingCore
import Foundation
import DirtyRingTestSupport
import Testing

@Suite struct XMLParserTests {
    @Test func parsesEverythingLibvirtWrites() throws {
        let text = "<?xml version='1.0'?>\n<!-- c --><a x='1' y=\"&lt;&#65;&#x42;&amp;\"><![CDATA[<b>]]><?pi x?>t&apos;<b/><c></c></a>\n"
        let document = try XMLDocument(parsing: text)
        let root = try #require(document.root)
        #expect(root.name == "a" && root.attribute("y") == "<AB&" && root.attribute("x") == "1")
        #expect(root.children.compactMap(document.element(at:)).map(\.name) == ["b", "c"])
        #expect(document.text(root.range).hasPrefix("<a x='1'") && document.text(root.range).hasSuffix("</c></a>"))
    }

    @Test(arguments: [
        "", "   ", "<a>", "<a></b>", "<a><b></a></b>", "<a>&bogus;</a>", "<a>&#0;</a>", "<a>&#xD800;</a>", "<a>& b</a>",
        "<a x=1/>", "<a x='1' x='2'/>", "<a x='<'/>", "<a/><b/>", "text<a/>", "<a/>text", "<a", "<a x='1", "<!-- x",
        "<a><![CDATA[x</a>", "<!DOCTYPE a><a/>", "<a/><?xml version='1.0'?>", "<1a/>", "<a\u{0}/>", "</a>", "<a>x</a ", "<a b/>",
    ])
    func rejects(_ text: String) {
        #expect(throws: DirtyRingError.self) { try XMLDocument(parsing: text) }
        do {
            _ = try XMLDocument(parsing: text)
        } catch {
            #expect(error.kind == .malformedXML)
            #expect(error.message.hasPrefix("malformed XML at byte "))
        }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        #expect(throws: DirtyRingError.self) { try XMLDocument(parsing: deep) }
        let unclosed = String(repeating: "<a>", count: 100_000)
        #expect(throws: DirtyRingError.self) { try XMLDocument(parsing: unclosed) }
        let allowed = String(repeating: "<a>", count: 200) + String(repeating: "</a>", count: 200)
        #expect(throws: Never.self) { try XMLDocument(parsing: allowed) }
    }

    @Test func garbage() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? XMLDocument(parsing: String(decoding: bytes, as: UTF8.self))
        }
    }
}

@Suite struct KVMElementTests {
    let size = RingSize(entries: 4096)!

    @Test func noKVMElement() throws {
        #expect(try KVMElement.merge(kvmXML: nil, ringSize: size) == "<kvm><dirty-ring state='on' size='4096'/></kvm>")
    }

    @Test func keepsChildrenInOrder() throws {
        let nova = #"<kvm><hidden state="on"/><hint-dedicated state='on'/><poll-control state='on'/></kvm>"#
        #expect(try KVMElement.merge(kvmXML: nova, ringSize: size)
            == #"<kvm><hidden state="on"/><hint-dedicated state='on'/><poll-control state='on'/><dirty-ring state='on' size='4096'/></kvm>"#)
    }

    @Test func replacesAnOldRing() throws {
        let old = "<kvm><dirty-ring state='on' size='1024'/><hidden state='on'/><dirty-ring state='off'/></kvm>"
        #expect(try KVMElement.merge(kvmXML: old, ringSize: size)
            == "<kvm><dirty-ring state='on' size='4096'/><hidden state='on'/></kvm>")
    }

    @Test func indentedAndSelfClosing() throws {
        #expect(try KVMElement.merge(kvmXML: "<kvm/>", ringSize: size) == "<kvm><dirty-ring state='on' size='4096'/></kvm>")
        let pretty = "<?xml version='1.0'?>\n<kvm>\n  <hidden state='on'/>\n</kvm>\n"
        #expect(try KVMElement.merge(kvmXML: pretty, ringSize: size)
            == "<kvm>\n  <hidden state='on'/>\n  <dirty-ring state='on' size='4096'/>\n</kvm>")
    }

    @Test func refusesOtherElements() {
        #expect(throws: DirtyRingError.self) { try KVMElement.merge(kvmXML: "<features/>", ringSize: size) }
        #expect(throws: DirtyRingError.self) { try KVMElement.merge(kvmXML: "<kvm>", ringSize: size) }
    }

    @Test func viaJSON() throws {
        let response = try #require(Fixture.response(ABIRequests.kvmElement(json: #"{"kvm_xml": "<kvm><hidden state='on'/></kvm>", "ring_size": 8192}"#)))
        #expect(response.ok == .object(["kvm_xml": .string("<kvm><hidden state='on'/><dirty-ring state='on' size='8192'/></kvm>")]))
        let bad = try #require(Fixture.response(ABIRequests.kvmElement(json: #"{"kvm_xml": null, "ring_size": 3000}"#)))
        #expect(bad.error?.kind == .invalidRequest && bad.error?.message.contains("ring_size") == true)
        let missing = try #require(Fixture.response(ABIRequests.kvmElement(json: #"{"kvm_xml": null}"#)))
        #expect(missing.error?.message == "the request lacks the field 'ring_size'")
    }
}

@Suite struct DomainXMLTests {
    static let fixtures = ["plain", "kvm-hidden", "no-features", "metadata-entities"]
    let size = RingSize(entries: 4096)!

    @Test(arguments: fixtures)
    func matchesExpectedOutput(_ name: String) throws {
        let input = try Fixture.domainXML("\(name).xml")
        let expected = try Fixture.domainXML("\(name).ring4096.xml")
        let output = try DomainXML.applyDirtyRing(domainXML: input, ringSize: size)
        #expect(output == expected)
        #expect(try DomainXML.dirtyRingSize(domainXML: output) == 4096)
        #expect(try DomainXML.dirtyRingSize(domainXML: input) == nil)
        // Idempotent, and reversible down to the bytes where the input had a <kvm> or none.
        #expect(try DomainXML.applyDirtyRing(domainXML: output, ringSize: size) == output)
        let removed = try DomainXML.applyDirtyRing(domainXML: output, ringSize: nil)
        #expect(try DomainXML.dirtyRingSize(domainXML: removed) == nil)
        if name != "no-features" {
            #expect(removed == input)
        }
    }

    @Test func onlyTheFeaturesChange() throws {
        let input = try Fixture.domainXML("metadata-entities.xml")
        let output = try DomainXML.applyDirtyRing(domainXML: input, ringSize: size)
        let inserted = "\n    <kvm>\n      <dirty-ring state='on' size='4096'/>\n    </kvm>"
        let anchor = try #require(input.range(of: "<apic/>"))
        var expected = input
        expected.insert(contentsOf: inserted, at: anchor.upperBound)
        #expect(output == expected)
    }

    @Test func resizesAnExistingRing() throws {
        let input = "<domain type='kvm'><features><kvm><dirty-ring state='on' size='1024'/></kvm></features></domain>"
        #expect(try DomainXML.applyDirtyRing(domainXML: input, ringSize: RingSize(entries: 65536))
            == "<domain type='kvm'><features><kvm><dirty-ring state='on' size='65536'/></kvm></features></domain>")
        #expect(try DomainXML.applyDirtyRing(domainXML: input, ringSize: nil) == "<domain type='kvm'><features></features></domain>")
        let hidden = "<domain><features><kvm><hidden state='on'/><dirty-ring state='on' size='1024'/></kvm></features></domain>"
        #expect(try DomainXML.applyDirtyRing(domainXML: hidden, ringSize: nil) == "<domain><features><kvm><hidden state='on'/></kvm></features></domain>")
    }

    @Test func placesFeatures() throws {
        #expect(try DomainXML.applyDirtyRing(domainXML: "<domain><name>x</name><devices/></domain>", ringSize: size)
            == "<domain><name>x</name><features><kvm><dirty-ring state='on' size='4096'/></kvm></features><devices/></domain>")
        #expect(try DomainXML.applyDirtyRing(domainXML: "<domain/>", ringSize: size)
            == "<domain><features><kvm><dirty-ring state='on' size='4096'/></kvm></features></domain>")
        #expect(try DomainXML.applyDirtyRing(domainXML: "<domain><features/></domain>", ringSize: size)
            == "<domain><features><kvm><dirty-ring state='on' size='4096'/></kvm></features></domain>")
    }

    @Test func readsRingState() throws {
        #expect(try DomainXML.dirtyRingSize(domainXML: "<domain><features><kvm><dirty-ring state='off'/></kvm></features></domain>") == nil)
        #expect(throws: DirtyRingError.self) {
            try DomainXML.dirtyRingSize(domainXML: "<domain><features><kvm><dirty-ring state='on' size='x'/></kvm></features></domain>")
        }
    }

    @Test func refusals() {
        #expect(throws: DirtyRingError.self) { try DomainXML.applyDirtyRing(domainXML: "<kvm/>", ringSize: size) }
        #expect(throws: DirtyRingError.self) { try DomainXML.applyDirtyRing(domainXML: "<domain><features/><features/></domain>", ringSize: size) }
        #expect(throws: DirtyRingError.self) { try DomainXML.applyDirtyRing(domainXML: "<domain><features><kvm/><kvm/></features></domain>", ringSize: size) }
        #expect(throws: DirtyRingError.self) { try DomainXML.applyDirtyRing(domainXML: "<domain>", ringSize: size) }
    }
}
