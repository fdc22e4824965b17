import Foundation

/// The command line: `interior-bench [--iterations N] [--filter TEXT]... [--list] [--help]`.
struct Options: Equatable {
    /// Timed samples per side (ours and the reference) of every benchmark.
    var iterations = 9
    /// Benchmarks whose name contains any of these run; none given runs all.
    var filters: [String] = []
    var listOnly = false
    var helpOnly = false
    /// The PostgreSQL database of the end-to-end run on PostgreSQL (`INTERIOR_BENCH_DATABASE_URL`).
    var postgresURL: String? = ProcessInfo.processInfo.environment["INTERIOR_BENCH_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    /// Seconds of each wrk run.
    var wrkSeconds = 8

    struct Problem: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    static let usage = """
        usage: interior-bench [--iterations N] [--filter TEXT]... [--postgres URL] [--wrk-seconds N] [--list]

          --iterations N   timed samples per side of each benchmark (default 9, at least 1)
          --filter TEXT    run only benchmarks whose name contains TEXT (repeatable)
          --postgres URL   the database of e2e.postgres (default: INTERIOR_BENCH_DATABASE_URL;
                           without either, e2e.postgres is skipped)
          --wrk-seconds N  length of each wrk run of the end-to-end benchmarks (default 8)
          --list           print the benchmarks and their references, run nothing
          --help           this text
        """

    static func parse(_ arguments: [String]) throws(Problem) -> Options {
        var options = Options()
        var remaining = arguments[...]
        func value(for flag: String, inline: String?) throws(Problem) -> String {
            if let inline { return inline }
            guard let next = remaining.popFirst() else { throw Problem(description: "\(flag) needs a value") }
            return next
        }
        while let argument = remaining.popFirst() {
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let flag = parts[0]
            let inline = argument.hasPrefix("--") && parts.count == 2 ? parts[1] : nil
            switch flag {
            case "--iterations", "-n":
                let text = try value(for: flag, inline: inline)
                guard let count = Int(text), count >= 1 else {
                    throw Problem(description: "--iterations takes a whole number of at least 1, not \(text)")
                }
                options.iterations = count
            case "--filter", "-f":
                let text = try value(for: flag, inline: inline)
                guard !text.isEmpty else { throw Problem(description: "--filter needs a non-empty value") }
                options.filters.append(text)
            case "--postgres":
                options.postgresURL = try value(for: flag, inline: inline)
            case "--wrk-seconds":
                let text = try value(for: flag, inline: inline)
                guard let seconds = Int(text), seconds >= 1 else {
                    throw Problem(description: "--wrk-seconds takes a whole number of at least 1, not \(text)")
                }
                options.wrkSeconds = seconds
            case "--list":
                options.listOnly = true
            case "--help", "-h":
                options.helpOnly = true
            default:
                throw Problem(description: "unknown argument \(argument)")
            }
        }
        return options
    }

    func selects(_ name: String) -> Bool {
        filters.isEmpty || filters.contains { name.lowercased().contains($0.lowercased()) }
    }
}
