import Foundation

/// Reads a `.env` file: `KEY=value` lines, `#` comments, optional `export ` prefix, values
/// optionally in single or double quotes. Variables already in the process environment win.
enum DotEnv {
    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            if !key.isEmpty { values[key] = value }
        }
        return values
    }

    /// The process environment over the `.env` file in `directory`, if there is one.
    static func merged(over environment: [String: String], directory: URL) -> [String: String] {
        let file = directory.appendingPathComponent(".env")
        guard let data = FileManager.default.contents(atPath: file.path) else { return environment }
        return parse(String(decoding: data, as: UTF8.self)).merging(environment) { _, process in process }
    }
}
