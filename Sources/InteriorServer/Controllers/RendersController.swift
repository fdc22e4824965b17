import Foundation
import InteriorCore
import Vapor

/// `/api/v1/renders`: the gallery.
enum RendersController {
    @Sendable
    static func list(_ request: Request) async throws -> Envelope<ListDTO<RenderSummaryDTO>> {
        let (cursor, limit) = try Paging.parse(request, defaultLimit: 24)
        let filter = try filter(request)
        let page = try await RenderRepository(sql: request.sql).list(owner: request.user.id, filter: filter, after: cursor, limit: limit)
        let urls = GenerationsController.urls(request)
        return Envelope(ListDTO(items: try page.rows.map { try RenderSummaryDTO($0, urls: urls) }, nextCursor: page.next?.encoded))
    }

    @Sendable
    static func get(_ request: Request) async throws -> Envelope<RenderDTO> {
        guard let render = try await RenderRepository(sql: request.sql).find(id: try renderId(request), owner: request.user.id) else {
            throw APIError.notFound
        }
        return Envelope(try RenderDTO(render, urls: GenerationsController.urls(request)))
    }

    struct Deleted: Encodable, Sendable {
        let id: String
        let deleted: Bool
    }

    /// Removes the image and thumbnail objects, then marks the render deleted: its URLs stop
    /// working. Objects go first, so a failure leaves a render the user can delete again
    /// rather than a hidden one whose images are still public.
    @Sendable
    static func delete(_ request: Request) async throws -> Envelope<Deleted> {
        let id = try renderId(request)
        let renders = RenderRepository(sql: request.sql)
        guard let render = try await renders.find(id: id, owner: request.user.id) else { throw APIError.notFound }
        do {
            try await request.interior.assets.delete(variants: render.variants)
        } catch {
            request.logger.error("deleting render objects failed", metadata: ["renderId": "\(id.apiString)", "error": "\(error)"])
            throw APIError.internalError
        }
        guard try await renders.softDelete(id: id, owner: request.user.id, now: request.interior.dependencies.now()) else {
            throw APIError.notFound
        }
        return Envelope(Deleted(id: id.apiString, deleted: true))
    }

    private static func renderId(_ request: Request) throws -> UUID {
        guard let text = request.parameters.get("id"), let id = UUID(uuidString: text) else { throw APIError.notFound }
        return id
    }

    /// `mode`, `roomType`, `style`: ids or labels, like a submit; anything else is a 400.
    private static func filter(_ request: Request) throws -> RenderFilter {
        let runtime = request.interior.runtime.current.config
        var filter = RenderFilter()
        if let text = request.query[String.self, at: "mode"], !text.isEmpty {
            guard let mode = GenerationMode(rawValue: text.lowercased()) else {
                throw APIError.validation(field: "mode", "mode must be one of \(GenerationMode.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            filter.mode = mode
        }
        if let text = request.query[String.self, at: "roomType"], !text.isEmpty {
            guard let preset = runtime.roomType(matching: text) else {
                throw APIError.validation(field: "roomType", "roomType is not a known room type.")
            }
            filter.roomType = preset.id
        }
        if let text = request.query[String.self, at: "style"], !text.isEmpty {
            guard let preset = runtime.style(matching: text) else {
                throw APIError.validation(field: "style", "style is not a known style.")
            }
            filter.style = preset.id
        }
        return filter
    }
}
