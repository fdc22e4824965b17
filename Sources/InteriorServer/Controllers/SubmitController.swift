import Foundation
import InteriorAPI
import InteriorCore
import Vapor

/// `POST /api/v1/generations`, the one JSON API operation that stays a Vapor route: it takes
/// multipart and JSON on one route and reads the body as it streams, under the upload limits
/// and the body budget, refusing at once with 413 (docs/decisions.md, "The contract is
/// `openapi.yaml`"). Its answer is the generated `GenerationEnvelope`, as retry's is.
enum SubmitController {
    @Sendable
    static func submit(_ request: Request) async throws -> Response {
        let runtime = request.interior.runtime.current
        // The body's bytes are held until the answer is made, and so is their claim.
        let claim = BodyClaim(budget: request.interior.bodyBudget, user: request.user.id)
        defer { claim.release() }
        let form = try await SubmitBodyReader.read(request, limits: runtime.config.limits,
                                                   idle: .seconds(runtime.config.timeouts.requestBodyIdle), claim: claim)
        let outcome = try await APIHandler.generations(request).submit(
            user: request.user, form: form, idempotencyKeyHeader: request.headers.first(name: "Idempotency-Key"), runtime: runtime)
        let (job, replayed) = outcome.job
        let envelope = Components.Schemas.GenerationEnvelope(try .init(job: job, urls: AssetURLs(request.interior)))
        return try JSONCoding.response(envelope, status: .accepted, headers: replayed ? ["Idempotent-Replayed": "true"] : [:])
    }
}
