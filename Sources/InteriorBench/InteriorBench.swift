import CVipsShim
import Foundation
import Imaging

/// `make bench`: each benchmark times one of our operations and a reference on the same
/// input in the same run, and prints the ratio. Timings never fail the run; errors do.
@main
struct InteriorBench {
    static func main() async {
        let options: Options
        do {
            options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            FileHandle.standardError.write(Data("interior-bench: \(error)\n\n\(Options.usage)\n".utf8))
            exit(2)
        }
        if options.helpOnly {
            emit(Options.usage)
            return
        }
        let selected = Benchmarks.all.filter { options.selects($0.name) }
        let suites = PeerSuite.all.filter { options.selects($0.name) }
        guard !selected.isEmpty || !suites.isEmpty else {
            FileHandle.standardError.write(Data("interior-bench: no benchmark matches \(options.filters.joined(separator: ", "))\n".utf8))
            exit(1)
        }
        if options.listOnly {
            for benchmark in selected { emit("\(benchmark.name)\n  reference: \(benchmark.reference)") }
            for suite in suites { emit("\(suite.name)\n  \(suite.summary)") }
            return
        }
        exit(await run(selected, suites: suites, options: options) ? 0 : 1)
    }

    /// Runs `benchmarks` in order and prints the table, then the peer suites; false when any
    /// of them failed.
    static func run(_ benchmarks: [Benchmark], suites: [PeerSuite], options: Options) async -> Bool {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("interior-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let context = Context(processor: ImageProcessor(), fixtures: Fixtures(), scratch: scratch)
        let report = Report()
        report.header(iterations: options.iterations, imagingPermits: context.processor.maxConcurrentJobs)
        var succeeded = true
        let started = ContinuousClock.now
        for benchmark in benchmarks {
            do {
                try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
                let prepared = try await benchmark.prepare(context)
                let samples = try await Sampler(iterations: options.iterations)
                    .measure(ours: prepared.ours, reference: prepared.reference)
                report.row(benchmark, input: prepared.input, ours: samples.ours, reference: samples.reference)
            } catch {
                succeeded = false
                report.failure(benchmark, error)
            }
        }
        if !suites.isEmpty {
            succeeded = await runPeers(suites, context: context, options: options) && succeeded
        }
        report.footer(elapsed: ContinuousClock.now - started)
        return succeeded
    }

    static func runPeers(_ suites: [PeerSuite], context: Context, options: Options) async -> Bool {
        let peers = PeerContext(processor: context.processor, fixtures: context.fixtures, scratch: context.scratch,
                                iterations: options.iterations, postgresURL: options.postgresURL, wrkSeconds: options.wrkSeconds)
        emit()
        emit("Against peers: what a user would otherwise run, measured in this run on the same input")
        if let load = Report.loadAverage { emit("load average now: \(load)") }
        var succeeded = true
        for suite in suites {
            do {
                try FileManager.default.createDirectory(at: context.scratch, withIntermediateDirectories: true)
                try await suite.run(peers)
            } catch {
                succeeded = false
                emit("\(peers.heading(suite.name))  ERROR: \(error)")
            }
        }
        peers.board.print()
        if let load = Report.loadAverage { emit("load average at the end: \(load)") }
        return succeeded
    }
}

/// Writes a line to standard output at once (unbuffered), so a long run shows its progress
/// even through a pipe.
func emit(_ line: String = "") {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The table on standard output.
struct Report {
    static let nameWidth = 40

    func header(iterations: Int, imagingPermits: Int) {
        #if DEBUG
        let build = "DEBUG build (timings are not representative; use `make bench`)"
        #else
        let build = "release build"
        #endif
        emit("Interior benchmarks: \(build), \(ProcessInfo.processInfo.activeProcessorCount) cores, "
              + "libvips \(String(cString: cvips_version())), imaging permits \(imagingPermits)")
        emit("\(iterations) timed samples per side after warm-up; fast operations are timed in batches (per-call times shown)")
        if let load = Self.loadAverage {
            emit("load average at start: \(load) (other work on the machine shows up in the times, most in the limiter's)")
        }
        emit()
        emit(pad("benchmark", Self.nameWidth) + padLeft("ours median", 13) + padLeft("ours p90", 11)
              + padLeft("ref median", 12) + padLeft("ref p90", 11) + padLeft("ours/ref", 10))
        emit(String(repeating: "-", count: Self.nameWidth + 13 + 11 + 12 + 11 + 10))
    }

    func row(_ benchmark: Benchmark, input: String, ours: Samples, reference: Samples) {
        let ratio = ours.median.seconds / reference.median.seconds
        emit(pad(benchmark.name, Self.nameWidth) + padLeft(Self.format(ours.median), 13) + padLeft(Self.format(ours.p90), 11)
              + padLeft(Self.format(reference.median), 12) + padLeft(Self.format(reference.p90), 11)
              + padLeft(Self.format(ratio: ratio), 10))
        emit("    input: \(input)")
        emit("    reference: \(benchmark.reference)")
    }

    func failure(_ benchmark: Benchmark, _ error: any Error) {
        emit(pad(benchmark.name, Self.nameWidth) + "  ERROR: \(error)")
    }

    func footer(elapsed: Duration) {
        emit()
        emit("ours/ref = our median / the reference's median (below 1: ours is faster). Total \(Self.format(elapsed)).")
    }

    /// The 1-, 5- and 15-minute load averages, where the system reports them.
    static var loadAverage: String? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        switch seconds {
        case ..<1e-6: return String(format: "%.0f ns", seconds * 1e9)
        case ..<1e-3: return threeDigits(seconds * 1e6) + " µs"
        case ..<1: return threeDigits(seconds * 1e3) + " ms"
        default: return threeDigits(seconds) + " s"
        }
    }

    /// 1.23, 12.3, 123: three significant digits, trailing zeros kept.
    private static func threeDigits(_ value: Double) -> String {
        String(format: value < 9.995 ? "%.2f" : value < 99.95 ? "%.1f" : "%.0f", value)
    }

    static func format(ratio: Double) -> String {
        ratio >= 100 ? String(format: "%.0f", ratio) : ratio >= 0.01 ? String(format: "%.2f", ratio) : String(format: "%.1e", ratio)
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    private func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }
}
