import Foundation
import Imaging
import NIOConcurrencyHelpers

/// The per-variant pipeline against what a user would write instead, in the same run on the
/// same input: pyvips and Pillow in-process (Python), and the 2-core ceiling derived from the
/// pyvips figure (cores / its time for one variant).
enum PipelinePeers {
    static let tier = 1024
    static let maxPixels = ImageProcessor.defaultMaxPixels

    /// `png-1536`: a 1536² PNG, transcoded by everyone. `webp-1024`: a 1024² WebP q82, as the
    /// OpenAI and FLUX.2 profiles now ask for; we store it as it came and make the thumbnail,
    /// the peers (written the obvious way) transcode it.
    static let png1536 = PeerSuite(name: "peers.pipeline.png-1536",
                                   summary: "1536² PNG → 1024 WebP q82 + 384 thumbnail q75: ours vs pyvips, Pillow, 2-core ceiling") { context in
        let data = try await context.fixtures.modelOutputPNG1536()
        let figures = try await compare(context, name: "png-1536", data: data, passThrough: false)
        context.board.pipeline = figures
    }

    static let webp1024 = PeerSuite(name: "peers.pipeline.webp-1024",
                                    summary: "1024² WebP q82 output → stored as it came + 384 thumbnail: ours vs the peers transcoding it") { context in
        let data = try await context.fixtures.modelOutputWebP1024()
        let figures = try await compare(context, name: "webp-1024", data: data, passThrough: true)
        context.board.webpPipeline = figures
    }

    struct Figures: Sendable {
        let ours: Samples
        let pyvips: Samples
        let pillow: Samples
        /// Variants a second with `cores` renders at once through one processor.
        let oursThroughput: Double
        /// Variants a second with one pyvips process per core at once, measured.
        let pyvipsMeasured: Double
        var ceiling: Double { Double(ProcessInfo.processInfo.activeProcessorCount) / pyvips.median.seconds }
    }

    static func compare(_ context: PeerContext, name: String, data: Data, passThrough: Bool) async throws -> Figures {
        let processor = context.processor
        let python = try context.python()
        let rendered = try await processor.renderOutput(data, longEdge: tier, maxPixels: maxPixels)
        try check(rendered, name: name)
        if passThrough { try checkStoredAsItCame(rendered.image.data, original: data) }
        for library in [PythonPeer.Library.pyvips, .pillow] {
            let result = try python.run(library, name: name, data: data, longEdge: tier)
            try Benchmarks.expect(max(result.width, result.height) == tier && max(result.thumbWidth, result.thumbHeight) == 384,
                                  "\(library.rawValue) made \(result.width)×\(result.height) + \(result.thumbWidth)×\(result.thumbHeight)")
        }
        let samples = try await Sampler(iterations: context.iterations).measure([
            .async { blackHole(try await processor.renderOutput(data, longEdge: tier, maxPixels: maxPixels)) },
            .sync { blackHole(try python.run(.pyvips, name: name, data: data, longEdge: tier)) },
            .sync { blackHole(try python.run(.pillow, name: name, data: data, longEdge: tier)) },
        ])
        let throughput = try await concurrentThroughput(processor, data: data, iterations: max(3, context.iterations / 2))
        let pyvipsPair = try pyvipsConcurrentThroughput(context, python: python, name: name, data: data)
        let figures = Figures(ours: samples[0], pyvips: samples[1], pillow: samples[2], oursThroughput: throughput,
                              pyvipsMeasured: pyvipsPair)
        let versions = try python.versions
        emit("\(context.heading(name)) — \(Benchmarks.describe(data)), out \(tier) px WebP q\(ImageProcessor.renderQuality) "
             + "+ \(ImageProcessor.thumbnailLongEdge) px q\(ImageProcessor.thumbnailQuality)"
             + (passThrough ? " (ours stores the WebP as it came, metadata stripped)" : ""))
        PeerReport.timeRow("ours (Imaging.renderOutput)", figures.ours)
        PeerReport.timeRow("pyvips \(versions.pyvips) (libvips \(versions.libvips), \(versions.threads) thread)", figures.pyvips,
                           ratio: figures.ours.median.seconds / figures.pyvips.median.seconds, versus: "ours/pyvips")
        PeerReport.timeRow("Pillow \(versions.pillow) (Python \(versions.python))", figures.pillow,
                           ratio: figures.ours.median.seconds / figures.pillow.median.seconds, versus: "ours/Pillow")
        let cores = ProcessInfo.processInfo.activeProcessorCount
        PeerReport.line("ours, \(processor.maxConcurrentJobs) at once", String(format: "%.1f variants/s", throughput),
                        "\(cores)-core ceiling \(cores)/pyvips = \(String(format: "%.1f", figures.ceiling))/s",
                        ratio: throughput / figures.ceiling, versus: "ours/ceiling")
        // What the cores deliver now: the derived ceiling assumes two idle cores.
        PeerReport.line("pyvips, \(cores) processes at once", String(format: "%.1f variants/s", pyvipsPair),
                        "measured = \(String(format: "%.2f", pyvipsPair / figures.ceiling)) of the derived ceiling",
                        ratio: throughput / pyvipsPair, versus: "ours/measured")
        return figures
    }

    /// Variants a second with one pyvips process per core converting at once (the peer and a
    /// second one started for this), over several runs each: the ceiling as measured.
    static func pyvipsConcurrentThroughput(_ context: PeerContext, python: PythonPeer, name: String, data: Data) throws -> Double {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var started: [PythonPeer] = [python]
        for _ in 1..<max(1, cores) { started.append(try PythonPeer(scratch: context.scratch)) }
        let peers = started
        let runs = max(3, context.iterations / 2)
        for peer in peers { _ = try peer.run(.pyvips, name: name, data: data, longEdge: tier) }
        let failures = NIOLockedValueBox<[any Error]>([])
        let began = ContinuousClock.now
        DispatchQueue.concurrentPerform(iterations: peers.count) { index in
            do {
                for _ in 0..<runs { _ = try peers[index].run(.pyvips, name: name, data: data, longEdge: tier) }
            } catch {
                failures.withLockedValue { $0.append(error) }
            }
        }
        let elapsed = ContinuousClock.now - began
        if let failure = failures.withLockedValue({ $0.first }) { throw failure }
        return Double(runs * peers.count) / elapsed.seconds
    }

    /// Renders 2 × permits variants at once, several times; the median rate.
    static func concurrentThroughput(_ processor: ImageProcessor, data: Data, iterations: Int) async throws -> Double {
        let count = 2 * processor.maxConcurrentJobs
        var rates: [Double] = []
        for _ in 0..<(iterations + 1) {
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: RenderedOutput.self) { group in
                for _ in 0..<count {
                    group.addTask { try await processor.renderOutput(data, longEdge: tier, maxPixels: maxPixels) }
                }
                for try await rendered in group { blackHole(rendered) }
            }
            rates.append(Double(count) / (ContinuousClock.now - started).seconds)
        }
        // The first round warms up.
        let sorted = rates.dropFirst().sorted()
        return sorted[sorted.count / 2]
    }

    static func check(_ rendered: RenderedOutput, name: String) throws {
        try Benchmarks.expect(max(rendered.image.width, rendered.image.height) == tier, "\(name): the render is not \(tier) px")
        try Benchmarks.expect(max(rendered.thumbnail.width, rendered.thumbnail.height) == ImageProcessor.thumbnailLongEdge,
                              "\(name): the thumbnail is not \(ImageProcessor.thumbnailLongEdge) px")
        for image in [rendered.image, rendered.thumbnail] {
            let info = try ImageProcessor.probe(image.data, maxPixels: maxPixels)
            try Benchmarks.expect(info.format == .webp && info.width == image.width && info.height == image.height,
                                  "\(name): an output is not the WebP it claims to be")
            try Benchmarks.expect(!WebPChunks.names(image.data).contains(where: ["EXIF", "XMP ", "ICCP"].contains),
                                  "\(name): an output still carries metadata")
        }
    }

    /// The stored file is the model's file minus its metadata chunks: the same bitstream.
    static func checkStoredAsItCame(_ stored: Data, original: Data) throws {
        let kept = WebPChunks.chunks(original).filter { !["EXIF", "XMP ", "ICCP"].contains($0.name) && $0.name != "VP8X" }
        let storedChunks = WebPChunks.chunks(stored).filter { $0.name != "VP8X" }
        try Benchmarks.expect(kept.map(\.body) == storedChunks.map(\.body),
                              "webp-1024: the stored image is not the model's bitstream (it was re-encoded)")
    }
}

/// The chunks of a RIFF WebP file (for checks only).
enum WebPChunks {
    struct Chunk: Equatable {
        let name: String
        let body: Data
    }

    static func chunks(_ data: Data) -> [Chunk] {
        let bytes = [UInt8](data)
        var offset = 12, found: [Chunk] = []
        while offset + 8 <= bytes.count {
            let name = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            let end = min(bytes.count, offset + 8 + size)
            found.append(Chunk(name: name, body: Data(bytes[(offset + 8)..<end])))
            offset += 8 + size + (size & 1)
        }
        return found
    }

    static func names(_ data: Data) -> [String] { chunks(data).map(\.name) }
}
