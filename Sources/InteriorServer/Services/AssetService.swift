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

    /// Stores every output (in parallel, bounded by the image limiter) and returns the rows
    /// to record. Nothing is recorded here: the caller does that in one transaction.
    func store(outputs: [URL], job: JobRow, renderId: UUID, now: Date, makeID: @Sendable () -> UUID) async throws(Failure) -> [VariantRow] {
        let longEdge = job.quality.longEdge
        let ids = outputs.map { _ in makeID() }
        do {
            return try await withThrowingTaskGroup(of: VariantRow.self) { group in
                for (index, url) in outputs.enumerated() {
                    group.addTask {
                        try await storeOne(url, index: index, id: ids[index], job: job, renderId: renderId, longEdge: longEdge, now: now)
                    }
                }
                var rows: [VariantRow] = []
                for try await row in group { rows.append(row) }
                return rows.sorted { $0.idx < $1.idx }
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .temporary("\(error)")
        }
    }

    private func storeOne(_ url: URL, index: Int, id: UUID, job: JobRow, renderId: UUID, longEdge: Int, now: Date) async throws -> VariantRow {
        let started = ContinuousClock.now
        let bytes: Data
        do {
            bytes = try await downloader.download(url)
        } catch let .permanent(reason) {
            throw Failure.unusable(reason)
        } catch let .transient(reason) {
            throw Failure.temporary(reason)
        }
        let rendered: RenderedOutput
        do {
            rendered = try await images.renderOutput(bytes, longEdge: longEdge, maxPixels: maxPixels)
        } catch {
            throw Failure.unusable("output \(index) is not a usable image: \(error)")
        }
        let imagePath = StoragePaths.output(render: renderId, index: index)
        let thumbPath = StoragePaths.thumbnail(render: renderId, index: index)
        do {
            try await store.put(bucket: bucket, path: imagePath, data: rendered.image.data, contentType: "image/webp")
            try await store.put(bucket: bucket, path: thumbPath, data: rendered.thumbnail.data, contentType: "image/webp")
        } catch {
            throw Failure.temporary("storing output \(index) failed: \(error)")
        }
        metrics.imagePipeline(ContinuousClock.now - started)
        return VariantRow(id: id, renderId: renderId, ownerId: job.ownerId, idx: index, imagePath: imagePath,
                          thumbPath: thumbPath, width: rendered.image.width, height: rendered.image.height,
                          bytes: rendered.image.data.count, createdAt: now)
    }

    /// Removes a render's objects (its URLs stop working). Deleting what is already gone is fine.
    func delete(variants: [VariantRow]) async throws {
        for variant in variants {
            try await store.delete(bucket: bucket, path: variant.imagePath)
            try await store.delete(bucket: bucket, path: variant.thumbPath)
        }
    }
}
