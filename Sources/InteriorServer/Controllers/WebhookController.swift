import Foundation
import InteriorAPI
import Replicate
import Tracing
import Vapor

/// `POST /api/v1/webhooks/replicate` (SPEC §8.3): verify, record in the inbox, answer. A
/// Vapor route rather than a generated operation: the signature is over the exact bytes
/// received and is checked before anything reads them (docs/decisions.md).
/// Nothing is processed here — Replicate wants a 2xx within seconds, and downloading and
/// converting images takes longer — so the answer means only "recorded durably".
enum WebhookController {
    @Sendable
    static func receive(_ request: Request) async throws -> Response {
        let context = request.interior
        let body = request.body.data.map { Data(buffer: $0) } ?? Data()
        do {
            try context.replicate.verifier.verify(
                id: request.headers.first(name: "webhook-id"),
                timestamp: request.headers.first(name: "webhook-timestamp"),
                signatureHeader: request.headers.first(name: "webhook-signature"),
                body: body, now: context.dependencies.now())
        } catch {
            request.logger.notice("webhook refused", metadata: ["reason": "\(error)"])
            throw APIError(.unauthorized, "The webhook signature is missing or invalid.")
        }
        // Verified, so the id header is present; it is also bounded before it becomes a key.
        let id = request.headers.first(name: "webhook-id")!
        guard id.utf8.count <= 200 else { throw APIError.validation(field: "webhook-id", "webhook-id is too long.") }
        let job = request.query[String.self, at: "job"].flatMap(UUID.init(uuidString:))
        // A signed body that is not a prediction is still recorded: nothing Replicate sends is lost,
        // and the processor marks it dead with the reason.
        let prediction = try? JSONDecoder().decode(Prediction.self, from: body)
        // The request's span is opened here, in the trace of the job it names (the route is
        // `tracedByHandler`): the signature is checked, so it is Replicate's news of that job.
        return try await context.traces.span(
            "POST /api/v1/webhooks/replicate", parent: await traceContext(of: job, request) ?? .topLevel, kind: .server,
            attributes: RequestTracingMiddleware.attributes(request, route: "/api/v1/webhooks/replicate")
        ) { _ in
            request.logTraceIds()
            do {
                try await context.inbox.recordWebhook(id: id, job: job, prediction: prediction, payload: body)
            } catch {
                request.logger.error("could not record a webhook", metadata: ["error": "\(LoggedError.text(error))"])
                // A 5xx makes Replicate deliver it again.
                throw APIError(.serviceUnavailable, "The webhook could not be recorded; deliver it again.")
            }
            return try JSONCoding.response(Components.Schemas.Acknowledgement(success: true), status: .ok)
        }
    }

    /// The stored trace context of the job a webhook names (nil with tracing off).
    private static func traceContext(of job: UUID?, _ request: Request) async -> ServiceContext? {
        let traces = request.interior.traces
        guard traces.isEnabled, let job else { return nil }
        return traces.context(traceParent: try? await JobRepository(db: request.db).find(id: job)?.traceParent)
    }
}
