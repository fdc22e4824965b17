import Foundation
import Imaging
import InteriorCore
import Logging
import Storage

/// Turns a prediction's output URLs into stored renders: download (allowlisted), convert to
/// WebP at the quality tier's size plus a thumbnail, write both to the public bucket at the
/// paths of SPEC §5 under the job's deterministic render id.
struct AssetService: Sendable {
    enum Failure: Error, CustomStringConvertible {
        /// The outputs cannot be had: the job fails (and is refunded).
        case unusable(String)
        /// Try again later: the event is retried.
        case temporary(String)

        var description: String {
            switch self {
            case let .unusable(reason), let .temporary(reason): reason
            }
        }
    }

    let downloader: OutputDownloader
    let images: ImageProcessor
    let store: any BlobStore
    let bucket: String
    let maxPixels: Int
    let metrics: InteriorMetrics
    let logger: Logger
    var traces: Traces = .disabled

    /// Stores every output of one prediction (in parallel, bounded by the image limiter) under
    /// the variant slots from `firstSlot` on, and returns what was stored. Nothing is recorded
    /// here: the caller records it.
    func store(outputs: [URL], job: JobRow, renderId: UUID, firstSlot: Int) async throws(Failure) -> [StoredOutput] {
        let longEdge = job.quality.longEdge
        do {
            return try await withThrowingTaskGroup(of: StoredOutput.self) { group in
                for (index, url) in outputs.enumerated() {
                    group.addTask {
                        try await storeOne(url, slot: firstSlot + index, renderId: renderId, longEdge: longEdge)
                    }
                }
                var stored: [StoredOutput] = []
                for try await output in group { stored.append(output) }
                return stored.sorted { $0.slot < $1.slot }
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .temporary("\(error)")
        }
    }

    private func storeOne(_ url: URL, slot: Int, renderId: UUID, longEdge: Int) async throws -> StoredOutput {
        let started = ContinuousClock.now
        let download: OutputDownloader.Download = try await traces.span(
            "output.download", kind: .client, attributes: ["interior.slot": .int64(Int64(slot))]) { _ in
            do throws(OutputDownloader.Failure) {
                return try await downloader.download(url)
            } catch let .permanent(reason) {
                throw Failure.unusable(reason)
            } catch let .transient(reason) {
                throw Failure.temporary(reason)
            }
        }
        let rendered: RenderedOutput = try await traces.span("output.render", attributes: ["interior.slot": .int64(Int64(slot))]) { _ in
            do {
                // The downloaded bytes count against the download budget until they are converted.
                defer { download.release() }
                return try await images.renderOutput(download.data, longEdge: longEdge, maxPixels: maxPixels)
            } catch {
                throw Failure.unusable("output \(slot) is not a usable image: \(error)")
            }
        }
        let imagePath = StoragePaths.output(render: renderId, index: slot)
        let thumbPath = StoragePaths.thumbnail(render: renderId, index: slot)
        do {
            try await store.put(bucket: bucket, path: imagePath, data: rendered.image.data, contentType: "image/webp")
            try await store.put(bucket: bucket, path: thumbPath, data: rendered.thumbnail.data, contentType: "image/webp")
        } catch {
            throw Failure.temporary("storing output \(slot) failed: \(error)")
        }
        metrics.imagePipeline(ContinuousClock.now - started)
        return StoredOutput(slot: slot, imagePath: imagePath, thumbPath: thumbPath, width: rendered.image.width,
                            height: rendered.image.height, bytes: rendered.image.data.count)
    }

    /// Removes a render's objects (its URLs stop working). Deleting what is already gone is fine.
    func delete(variants: [VariantRow]) async throws {
        try await delete(paths: variants.flatMap { [$0.imagePath, $0.thumbPath] })
    }

    /// Removes stored outputs no render takes.
    func delete(_ outputs: [StoredOutput]) async throws {
        try await delete(paths: outputs.flatMap { [$0.imagePath, $0.thumbPath] })
    }

    /// Removes whatever a prediction stored under its slots (nothing there is fine).
    func delete(render: UUID, slots: Range<Int>) async throws {
        try await delete(paths: slots.flatMap { [StoragePaths.output(render: render, index: $0), StoragePaths.thumbnail(render: render, index: $0)] })
    }

    private func delete(paths: [String]) async throws {
        for path in paths { try await store.delete(bucket: bucket, path: path) }
    }
}
