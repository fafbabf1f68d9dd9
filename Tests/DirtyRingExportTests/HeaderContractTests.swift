import DirtyRingTestSupport
import Foundation
import Testing

/// The hand-written dirtyring.h is the contract: it must agree with what the compiler exports.
@Suite("C header contract")
struct HeaderContractTests {
    static let repository = URL(fileURLWithPath: Repository.root)
    static let header = repository.appendingPathComponent("Sources/DirtyRingExport/dirtyring.h")
    static let generatedHeader = repository.appendingPathComponent(".build/dirtyring-generated.h")

    /// The function names dirtyring.h declares.
    static func declaredFunctions() throws -> Set<String> {
        let text = try String(contentsOf: header, encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"\b(dr_[a-z_]+)\s*\("#)
        let range = NSRange(text.startIndex..., in: text)
        return Set(pattern.matches(in: text, range: range).compactMap {
            Range($0.range(at: 1), in: text).map { String(text[$0]) }
        })
    }

    @Test("dirtyring.h compiles against the compiler-generated header")
    func headersAgree() throws {
        #expect(FileManager.default.fileExists(atPath: Self.generatedHeader.path))
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("dirtyring-abi-check.c")
        try """
            #include "\(Self.generatedHeader.path)"
            #include "\(Self.header.path)"
            int main(void) { return dr_abi_version() == DR_ABI_VERSION ? 0 : 1; }
            """.write(to: source, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run("clang", ["-fsyntax-only", "-Werror", "-Wno-nullability-completeness",
                                              "-std=c11", source.path])
        #expect(result.status == 0, "clang: \(result.output)")
    }

    @Test("a signature that differs from the library's is caught")
    func mismatchIsCaught() throws {
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("dirtyring-abi-mismatch.c")
        try """
            #include "\(Self.generatedHeader.path)"
            int dr_abi_version(void);
            """.write(to: source, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run("clang", ["-fsyntax-only", "-std=c11", source.path])
        #expect(result.status != 0)
    }

    @Test("the library exports exactly the functions dirtyring.h declares", arguments: Library.Build.allCases)
    func exportsMatchHeader(build: Library.Build) throws {
        let library = try Library.path(build)
        let result = try ChildProcess.run("nm", ["-D", "--defined-only", library])
        #expect(result.status == 0, "nm: \(result.output)")
        // Global symbols (upper-case type) other than the version node itself ("A").
        let exported = Set(result.output.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let type = fields[1].first, type.isUppercase, type != "A" else { return nil }
            return String(fields[2].split(separator: "@").first ?? fields[2])
        })
        #expect(exported == (try Self.declaredFunctions()))
    }
}
