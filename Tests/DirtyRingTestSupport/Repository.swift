/// Paths in this repository, for tests that read shared fixtures or built products.
public enum Repository {
    /// The repository root (three levels above this file).
    public static let root: String = {
        var directory = #filePath
        for _ in 0..<3 { directory = String(directory[..<(directory.lastIndex(of: "/") ?? directory.startIndex)]) }
        return directory
    }()

    /// A path below the root.
    public static func path(_ relative: String) -> String { root + "/" + relative }
}
