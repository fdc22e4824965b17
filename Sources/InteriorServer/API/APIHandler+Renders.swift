import Foundation
import InteriorAPI
import InteriorCore
import Vapor

/// `/api/v1/renders`: the gallery.
extension APIHandler {
    func listRenders(_ input: InteriorAPI.Operations.ListRenders.Input) async throws -> InteriorAPI.Operations.ListRenders.Output {
        let request = CurrentRequest.request
        let (cursor, limit) = try Paging.parse(cursor: input.query.cursor, limit: input.query.limit, defaultLimit: 24)
        let filter = try Self.filter(input.query, runtime: request.interior.runtime.current.config)
        let page = try await RenderRepository(sql: request.sql).list(owner: request.user.id, filter: filter, after: cursor, limit: limit)
        let urls = AssetURLs(request.interior)
        let list = Components.Schemas.RenderSummaryListDTO(items: try page.rows.map { try .init($0, urls: urls) },
                                                           nextCursor: page.next?.encoded)
        return .ok(.init(body: .json(.init(success: Self.succeeded, data: list))))
    }

    func getRender(_ input: InteriorAPI.Operations.GetRender.Input) async throws -> InteriorAPI.Operations.GetRender.Output {
        let request = CurrentRequest.request
        guard let render = try await RenderRepository(sql: request.sql).find(id: try Self.id(input.path.id), owner: request.user.id) else {
            throw APIError.notFound
        }
        let data = try Components.Schemas.RenderDTO(render, urls: AssetURLs(request.interior))
        return .ok(.init(body: .json(.init(success: Self.succeeded, data: data))))
    }

    /// Removes the image and thumbnail objects, then marks the render deleted: its URLs stop
    /// working. Objects go first, so a failure leaves a render the user can delete again
    /// rather than a hidden one whose images are still public.
    func deleteRender(_ input: InteriorAPI.Operations.DeleteRender.Input) async throws -> InteriorAPI.Operations.DeleteRender.Output {
        let request = CurrentRequest.request
        let id = try Self.id(input.path.id)
        let renders = RenderRepository(sql: request.sql)
        guard let render = try await renders.find(id: id, owner: request.user.id) else { throw APIError.notFound }
        do {
            try await request.interior.assets.delete(variants: render.variants)
        } catch {
            request.logger.error("deleting render objects failed", metadata: ["renderId": "\(id.apiString)", "error": "\(LoggedError.text(error))"])
            throw APIError.internalError
        }
        guard try await JobRepository(db: request.db).deleteRender(id: id, owner: request.user.id,
                                                                   now: request.interior.dependencies.now()) else {
            throw APIError.notFound
        }
        return .ok(.init(body: .json(.init(success: Self.succeeded, data: .init(id: id.apiString, deleted: true)))))
    }

    /// `mode`, `roomType`, `style`: ids or labels, like a submit (case-insensitive; empty means
    /// any); anything else is a 400.
    private static func filter(_ query: InteriorAPI.Operations.ListRenders.Input.Query, runtime: RuntimeConfig) throws -> RenderFilter {
        var filter = RenderFilter()
        if let text = query.mode, !text.isEmpty {
            guard let mode = GenerationMode(rawValue: text.lowercased()) else {
                throw APIError.validation(field: "mode", "mode must be one of \(GenerationMode.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            filter.mode = mode
        }
        if let text = query.roomType, !text.isEmpty {
            guard let preset = runtime.roomType(matching: text) else {
                throw APIError.validation(field: "roomType", "roomType is not a known room type.")
            }
            filter.roomType = preset.id
        }
        if let text = query.style, !text.isEmpty {
            guard let preset = runtime.style(matching: text) else {
                throw APIError.validation(field: "style", "style is not a known style.")
            }
            filter.style = preset.id
        }
        return filter
    }
}
