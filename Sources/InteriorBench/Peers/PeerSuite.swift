import Foundation
import Imaging
import NIOConcurrencyHelpers

/// A benchmark against peers: it measures ours and its references in the same run and prints
/// its own lines (a pipeline has several references; a server run has several figures).
struct PeerSuite: Sendable {
    let name: String
    let summary: String
    let run: @Sendable (PeerContext) async throws -> Void

    static let all: [PeerSuite] = [
        PipelinePeers.png1536,
        PipelinePeers.webp1024,
        EndToEnd.suite(database: .sqlite),
        EndToEnd.suite(database: .postgres),
        EndToEnd.webpProfileSuite,
    ]
}

/// What every peer suite shares: the processor and inputs of the micro benchmarks, the
/// Python peer (started on first use), where PostgreSQL is, and the figures for the summary.
final class PeerContext: Sendable {
    let processor: ImageProcessor
    let fixtures: Fixtures
    let scratch: URL
    let iterations: Int
    let postgresURL: String?
    let wrkSeconds: Int
    let board = GoalBoard()
    private let peer = NIOLockedValueBox<PythonPeer?>(nil)

    init(processor: ImageProcessor, fixtures: Fixtures, scratch: URL, iterations: Int, postgresURL: String?, wrkSeconds: Int) {
        self.processor = processor
        self.fixtures = fixtures
        self.scratch = scratch
        self.iterations = iterations
        self.postgresURL = postgresURL
        self.wrkSeconds = wrkSeconds
    }

    func python() throws -> PythonPeer {
        try peer.withLockedValue { peer in
            if let peer { return peer }
            let started = try PythonPeer(scratch: scratch)
            peer = started
            return started
        }
    }

    func heading(_ title: String) -> String { "▸ " + title }

    /// The pyvips time for one variant of the 1536² PNG (the ceiling's base), measured now.
    func pyvipsVariantTime() async throws -> Duration {
        let data = try await fixtures.modelOutputPNG1536()
        let python = try python()
        let samples = try await Sampler(iterations: iterations)
            .measure([.sync { blackHole(try python.run(.pyvips, name: "png-1536", data: data, longEdge: PipelinePeers.tier)) }])
        return samples[0].median
    }
}

/// The figures of the table, gathered as the suites run and printed at the end.
final class GoalBoard: Sendable {
    private struct State {
        var pipeline: PipelinePeers.Figures?
        var webpPipeline: PipelinePeers.Figures?
        var rows: [(figure: String, value: String, goal: String, met: Bool)] = []
    }
    private let state = NIOLockedValueBox(State())

    var pipeline: PipelinePeers.Figures? {
        get { state.withLockedValue { $0.pipeline } }
        set { state.withLockedValue { $0.pipeline = newValue } }
    }

    var webpPipeline: PipelinePeers.Figures? {
        get { state.withLockedValue { $0.webpPipeline } }
        set { state.withLockedValue { $0.webpPipeline = newValue } }
    }

    func record(_ figure: String, value: String, goal: String, met: Bool) {
        state.withLockedValue { $0.rows.append((figure, value, goal, met)) }
    }

    func print() {
        let rows = state.withLockedValue { $0.rows }
        guard !rows.isEmpty else { return }
        emit()
        emit("Goals (issue 12), this run:")
        for row in rows {
            emit("  " + PeerReport.pad(row.figure, 58) + PeerReport.pad(row.value, 22) + PeerReport.pad("goal " + row.goal, 16)
                 + (row.met ? "met" : "NOT met"))
        }
    }
}

/// Lines of the peer section.
enum PeerReport {
    static func timeRow(_ label: String, _ samples: Samples, ratio: Double? = nil, versus: String = "") {
        var line = "    " + pad(label, 52) + padLeft("median " + Report.format(samples.median), 18)
            + padLeft("p90 " + Report.format(samples.p90), 14)
        if let ratio { line += padLeft(versus + " " + Report.format(ratio: ratio), 20) }
        emit(line)
    }

    static func line(_ label: String, _ value: String, _ reference: String = "", ratio: Double? = nil, versus: String = "") {
        var line = "    " + pad(label, 34) + pad(value, 24) + pad(reference, 40)
        if let ratio { line += versus + " " + Report.format(ratio: ratio) }
        emit(line)
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.0f MB", Double(bytes) / 1_048_576) }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func padLeft(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }
}
