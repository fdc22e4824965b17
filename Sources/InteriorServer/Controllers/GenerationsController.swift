import Foundation
import InteriorCore
import Vapor

/// `/api/v1/generations`: submit, status, list, cancel, retry.
enum GenerationsController {
    static func service(_ request: Request) -> GenerationService {
        GenerationService(context: request.interior, db: request.db, logger: request.logger)
    }

    static func urls(_ request: Request) -> AssetURLs {
        AssetURLs(store: request.interior.store, bucket: request.interior.settings.publicBucket)
    }

    @Sendable
    static func submit(_ request: Request) async throws -> Response {
        let runtime = request.interior.runtime.current
        // The body's bytes are held until the answer is made, and so is their claim.
        let claim = BodyClaim(budget: request.interior.bodyBudget, user: request.user.id)
        defer { claim.release() }
        let form = try await SubmitBodyReader.read(request, limits: runtime.config.limits,
                                                   idle: .seconds(runtime.config.timeouts.requestBodyIdle), claim: claim)
        let outcome = try await service(request).submit(
            user: request.user, form: form, idempotencyKeyHeader: request.headers.first(name: "Idempotency-Key"), runtime: runtime)
        return try accepted(outcome, request)
    }

    @Sendable
    static func status(_ request: Request) async throws -> Envelope<GenerationDTO> {
        let (job, render) = try await service(request).status(user: request.user, jobId: try jobId(request))
        return Envelope(try GenerationDTO(job: job, render: render, urls: urls(request)))
    }

    @Sendable
    static func list(_ request: Request) async throws -> Envelope<ListDTO<GenerationDTO>> {
        let (cursor, limit) = try Paging.parse(request, defaultLimit: 20)
        let page = try await service(request).list(user: request.user, cursor: cursor, limit: limit)
        let items = try page.rows.map { try GenerationDTO(job: $0, urls: urls(request)) }
        return Envelope(ListDTO(items: items, nextCursor: page.next?.encoded))
    }

    @Sendable
    static func cancel(_ request: Request) async throws -> Envelope<GenerationDTO> {
        let job = try await service(request).cancel(user: request.user, jobId: try jobId(request))
        return Envelope(try GenerationDTO(job: job, urls: urls(request)))
    }

    @Sendable
    static func retry(_ request: Request) async throws -> Response {
        let outcome = try await service(request).retry(
            user: request.user, jobId: try jobId(request), idempotencyKeyHeader: request.headers.first(name: "Idempotency-Key"))
        return try accepted(outcome, request)
    }

    private static func accepted(_ outcome: GenerationService.SubmitOutcome, _ request: Request) throws -> Response {
        switch outcome {
        case let .created(job):
            return try Envelope(GenerationDTO(job: job, urls: urls(request))).encodeResponse(status: .accepted)
        case let .replayed(job):
            return try Envelope(GenerationDTO(job: job, urls: urls(request)))
                .encodeResponse(status: .accepted, headers: ["Idempotent-Replayed": "true"])
        }
    }

    /// An id that is not a UUID cannot name a job: 404, like any unknown id.
    static func jobId(_ request: Request) throws -> UUID {
        guard let text = request.parameters.get("id"), let id = UUID(uuidString: text) else { throw APIError.notFound }
        return id
    }
}

/// `cursor` and `limit` of list endpoints.
enum Paging {
    static let maxLimit = 100

    static func parse(_ request: Request, defaultLimit: Int) throws -> (PageCursor?, Int) {
        var limit = defaultLimit
        if let text = request.query[String.self, at: "limit"] {
            guard let value = Int(text), (1...maxLimit).contains(value) else {
                throw APIError.validation(field: "limit", "limit must be a whole number from 1 to \(maxLimit).")
            }
            limit = value
        }
        var cursor: PageCursor?
        if let text = request.query[String.self, at: "cursor"], !text.isEmpty {
            guard let parsed = PageCursor(encoded: text) else {
                throw APIError.validation(field: "cursor", "cursor is not one this service gave out.")
            }
            cursor = parsed
        }
        return (cursor, limit)
    }
}
