/// Rows of cells laid out in left-aligned columns, two spaces apart, for a terminal.
struct TextTable {
    var rows: [[String]]

    /// One line per row; short rows are padded, trailing spaces dropped.
    func lines() -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in
            rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return rows.map { cells in
            var line = zip(cells, widths)
                .map { cell, width in cell + String(repeating: " ", count: max(0, width - cell.count)) }
                .joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}
