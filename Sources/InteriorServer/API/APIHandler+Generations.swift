import Foundation
import InteriorAPI
import InteriorCore
import Vapor

/// `/api/v1/generations`: list, status, cancel, retry. (The submit is a Vapor route that
/// answers with the same generated types: `SubmitController`.)
extension APIHandler {
    typealias Generation = Components.Schemas.GenerationDTO

    func listGenerations(_ input: InteriorAPI.Operations.ListGenerations.Input) async throws -> InteriorAPI.Operations.ListGenerations.Output {
        let request = CurrentRequest.request
        let (cursor, limit) = try Paging.parse(cursor: input.query.cursor, limit: input.query.limit, defaultLimit: 20)
        let page = try await Self.generations(request).list(user: request.user, cursor: cursor, limit: limit)
        let urls = AssetURLs(request.interior)
        let list = Components.Schemas.GenerationListDTO(items: try page.rows.map { try Generation(job: $0, urls: urls) },
                                                        nextCursor: page.next?.encoded)
        return .ok(.init(body: .json(.init(success: Self.succeeded, data: list))))
    }

    func getGeneration(_ input: InteriorAPI.Operations.GetGeneration.Input) async throws -> InteriorAPI.Operations.GetGeneration.Output {
        let request = CurrentRequest.request
        let (job, render) = try await Self.generations(request).status(user: request.user, jobId: try Self.id(input.path.id))
        return .ok(.init(body: .json(.init(try Generation(job: job, render: render, urls: AssetURLs(request.interior))))))
    }

    func cancelGeneration(_ input: InteriorAPI.Operations.CancelGeneration.Input) async throws -> InteriorAPI.Operations.CancelGeneration.Output {
        let request = CurrentRequest.request
        let job = try await Self.generations(request).cancel(user: request.user, jobId: try Self.id(input.path.id))
        return .ok(.init(body: .json(.init(try Generation(job: job, urls: AssetURLs(request.interior))))))
    }

    func retryGeneration(_ input: InteriorAPI.Operations.RetryGeneration.Input) async throws -> InteriorAPI.Operations.RetryGeneration.Output {
        let request = CurrentRequest.request
        let outcome = try await Self.generations(request).retry(
            user: request.user, jobId: try Self.id(input.path.id), idempotencyKeyHeader: input.headers.idempotencyKey)
        let (job, replayed) = outcome.job
        return .accepted(.init(headers: .init(idempotentReplayed: replayed ? ._true : nil),
                               body: .json(.init(try Generation(job: job, urls: AssetURLs(request.interior))))))
    }

    static func generations(_ request: Request) -> GenerationService {
        GenerationService(context: request.interior, db: request.db, logger: request.logger)
    }

    /// An id that is not a UUID cannot name a job or a render: 404, like any unknown id.
    static func id(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw APIError.notFound }
        return id
    }
}

extension GenerationService.SubmitOutcome {
    /// The job answered with, and whether it is the original of a repeated idempotency key.
    var job: (JobRow, replayed: Bool) {
        switch self {
        case let .created(job): (job, false)
        case let .replayed(job): (job, true)
        }
    }
}

/// `cursor` and `limit` of list endpoints.
enum Paging {
    static let maxLimit = 100

    /// An empty cursor is the first page.
    static func parse(cursor text: String?, limit: Int?, defaultLimit: Int) throws -> (PageCursor?, Int) {
        if let limit, !(1...maxLimit).contains(limit) { throw APIError.wholeNumber(field: "limit", 1...maxLimit) }
        var cursor: PageCursor?
        if let text, !text.isEmpty {
            guard let parsed = PageCursor(encoded: text) else {
                throw APIError.validation(field: "cursor", "cursor is not one this service gave out.")
            }
            cursor = parsed
        }
        return (cursor, limit ?? defaultLimit)
    }
}
