import Foundation

/// `wrk` (the Debian package) against one URL: requests a second and latency percentiles.
/// Any non-2xx answer or socket error makes the measurement a failure: a fast wrong answer
/// is not a result.
struct Wrk: Sendable {
    static let binary = "/usr/bin/wrk"
    let threads: Int
    let connections: Int
    let duration: Int

    struct Result: Sendable {
        let requestsPerSecond: Double
        let p50: Duration
        let p99: Duration
        let requests: Int
    }

    static var available: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    func run(_ url: URL, token: String?) throws -> Result {
        guard Self.available else { throw BenchFailure("wrk is not installed (apt-get install wrk; scripts/ensure-deps.sh bench)") }
        var arguments = ["-t\(threads)", "-c\(connections)", "-d\(duration)s", "--latency"]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        arguments.append(url.absoluteString)
        let output = try Self.execute(arguments)
        if let line = output.split(separator: "\n").first(where: { $0.contains("Non-2xx or 3xx responses") }) {
            throw BenchFailure("wrk \(url.path): \(line.trimmingCharacters(in: .whitespaces))")
        }
        if let line = output.split(separator: "\n").first(where: { $0.contains("Socket errors") }) {
            throw BenchFailure("wrk \(url.path): \(line.trimmingCharacters(in: .whitespaces))")
        }
        guard let rate = Self.value(after: "Requests/sec:", in: output).flatMap(Double.init),
              let p50 = Self.value(after: "50%", in: output).flatMap(Self.duration),
              let p99 = Self.value(after: "99%", in: output).flatMap(Self.duration),
              let total = output.split(separator: "\n").first(where: { $0.contains("requests in") })?
                  .split(separator: " ").first.flatMap({ Int($0) }) else {
            throw BenchFailure("could not read wrk's output:\n\(output)")
        }
        return Result(requestsPerSecond: rate, p50: p50, p99: p99, requests: total)
    }

    private static func execute(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The first word after `label` on the first line that starts with it.
    private static func value(after label: String, in output: String) -> String? {
        for line in output.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix(label) else { continue }
            return trimmed.dropFirst(label.count).split(separator: " ").first.map(String.init)
        }
        return nil
    }

    /// wrk's "1.23ms", "456.00us", "1.02s".
    static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("us", 1e-6), ("ms", 1e-3), ("m", 60), ("s", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)) else { return nil }
            return .seconds(value * scale)
        }
        return nil
    }
}
