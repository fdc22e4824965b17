import Foundation
import InteriorAPI
import InteriorCore
import Storage

/// The rows of the repositories as the document's schemas (SPEC §9). Each answer of the JSON
/// API is built here or in a handler from the generated types, so a field renamed in
/// `openapi.yaml` without a change here does not compile.
extension Components.Schemas.GenerationDTO {
    /// The job: the 202 summary, and, on `GET`, the variants of a success or the error of a failure.
    init(job: JobRow, render: RenderWithVariants? = nil, urls: AssetURLs) throws {
        let succeeded = job.status == .succeeded ? render : nil
        self.init(
            id: job.id.apiString,
            // A success is shown once its images are stored; until then the job is processing.
            status: try APIHandler.value(job.status.rawValue),
            mode: try APIHandler.value(job.mode.rawValue),
            predictionId: job.predictionId,
            prompt: job.prompt,
            createdAt: job.createdAt,
            completedAt: job.status.isTerminal ? job.completedAt : nil,
            settings: .init(roomType: job.roomType, style: job.style,
                            aspectRatio: try APIHandler.value(job.aspectRatio.rawValue),
                            quality: try APIHandler.value(job.quality.rawValue), variants: job.variants),
            renderId: succeeded?.render.id.apiString,
            variants: try succeeded.map { try $0.variants.map(urls.variant) },
            error: job.status == .failed || job.status == .canceled
                ? .init(code: job.errorCode ?? "INTERNAL_ERROR", message: job.error ?? FailureMessage.fallback) : nil)
    }
}

extension Components.Schemas.GenerationEnvelope {
    init(_ data: Components.Schemas.GenerationDTO) {
        self.init(success: APIHandler.succeeded, data: data)
    }
}

extension Components.Schemas.RenderSummaryDTO {
    /// A gallery entry.
    init(_ item: RenderWithVariants, urls: AssetURLs) throws {
        let cover = try item.cover.map(urls.variant)
        self.init(id: item.render.id.apiString, jobId: item.render.jobId.apiString,
                  coverVariantUrl: cover?.url, coverThumbUrl: cover?.thumbUrl, createdAt: item.render.createdAt,
                  mode: try APIHandler.value(item.render.mode.rawValue), roomType: item.render.roomType, style: item.render.style)
    }
}

extension Components.Schemas.RenderDTO {
    /// A render with all its variants.
    init(_ item: RenderWithVariants, urls: AssetURLs) throws {
        self.init(id: item.render.id.apiString, jobId: item.render.jobId.apiString, createdAt: item.render.createdAt,
                  mode: try APIHandler.value(item.render.mode.rawValue), roomType: item.render.roomType, style: item.render.style,
                  coverVariant: item.render.coverVariant, variants: try item.variants.map(urls.variant))
    }
}

/// Public URLs of stored outputs.
struct AssetURLs: Sendable {
    let store: any BlobStore
    let bucket: String

    init(_ context: InteriorContext) {
        store = context.store
        bucket = context.settings.publicBucket
    }

    func variant(_ row: VariantRow) throws -> Components.Schemas.Variant {
        Components.Schemas.Variant(
            index: row.idx,
            url: try store.publicURL(bucket: bucket, path: row.imagePath).absoluteString,
            thumbUrl: try store.publicURL(bucket: bucket, path: row.thumbPath).absoluteString,
            width: row.width, height: row.height)
    }
}
