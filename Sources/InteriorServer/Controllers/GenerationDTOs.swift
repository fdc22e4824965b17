import Foundation
import InteriorCore
import Storage

/// The job as the API shows it (SPEC §9): the 202 summary, and, on `GET`, the variants of a
/// success or the error of a failure.
struct GenerationDTO: Encodable, Sendable {
    struct Settings: Encodable, Sendable {
        let roomType: String
        let style: String
        let aspectRatio: String
        let quality: String
        let variants: Int
    }

    struct Variant: Encodable, Sendable {
        let index: Int
        let url: String
        let thumbUrl: String
        let width: Int
        let height: Int
    }

    struct Failure: Encodable, Sendable {
        let code: String
        let message: String
    }

    let id: String
    let status: String
    let mode: String
    let predictionId: String?
    let prompt: String?
    let createdAt: Date
    let completedAt: Date?
    let settings: Settings
    let renderId: String?
    let variants: [Variant]?
    let error: Failure?

    init(job: JobRow, render: RenderWithVariants? = nil, urls: AssetURLs) throws {
        id = job.id.apiString
        // A success is shown once its images are stored; until then the job is processing.
        status = job.status.rawValue
        mode = job.mode.rawValue
        predictionId = job.predictionId
        prompt = job.prompt
        createdAt = job.createdAt
        completedAt = job.status.isTerminal ? job.completedAt : nil
        settings = Settings(roomType: job.roomType, style: job.style, aspectRatio: job.aspectRatio.rawValue,
                            quality: job.quality.rawValue, variants: job.variants)
        if job.status == .succeeded, let render {
            renderId = render.render.id.apiString
            variants = try render.variants.map { try urls.variant($0) }
        } else {
            renderId = nil
            variants = nil
        }
        if job.status == .failed || job.status == .canceled {
            error = Failure(code: job.errorCode ?? "INTERNAL_ERROR", message: job.error ?? FailureMessage.fallback)
        } else {
            error = nil
        }
    }
}

struct ListDTO<Item: Encodable & Sendable>: Encodable, Sendable {
    let items: [Item]
    let nextCursor: String?
}

/// A gallery entry (`GET /api/v1/renders`).
struct RenderSummaryDTO: Encodable, Sendable {
    let id: String
    let jobId: String
    let coverVariantUrl: String?
    let coverThumbUrl: String?
    let createdAt: Date
    let mode: String
    let roomType: String
    let style: String

    init(_ item: RenderWithVariants, urls: AssetURLs) throws {
        id = item.render.id.apiString
        jobId = item.render.jobId.apiString
        let cover = try item.cover.map { try urls.variant($0) }
        coverVariantUrl = cover?.url
        coverThumbUrl = cover?.thumbUrl
        createdAt = item.render.createdAt
        mode = item.render.mode.rawValue
        roomType = item.render.roomType
        style = item.render.style
    }
}

/// A render with all its variants (`GET /api/v1/renders/{id}`).
struct RenderDTO: Encodable, Sendable {
    let id: String
    let jobId: String
    let createdAt: Date
    let mode: String
    let roomType: String
    let style: String
    let coverVariant: Int
    let variants: [GenerationDTO.Variant]

    init(_ item: RenderWithVariants, urls: AssetURLs) throws {
        id = item.render.id.apiString
        jobId = item.render.jobId.apiString
        createdAt = item.render.createdAt
        mode = item.render.mode.rawValue
        roomType = item.render.roomType
        style = item.render.style
        coverVariant = item.render.coverVariant
        variants = try item.variants.map { try urls.variant($0) }
    }
}

/// Public URLs of stored outputs.
struct AssetURLs: Sendable {
    let store: any BlobStore
    let bucket: String

    func variant(_ row: VariantRow) throws -> GenerationDTO.Variant {
        GenerationDTO.Variant(
            index: row.idx,
            url: try store.publicURL(bucket: bucket, path: row.imagePath).absoluteString,
            thumbUrl: try store.publicURL(bucket: bucket, path: row.thumbPath).absoluteString,
            width: row.width, height: row.height)
    }
}
