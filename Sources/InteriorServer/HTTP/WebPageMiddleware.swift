import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Serves the try-it page (`Public/`, `index.html` at `/`) with headers fit for a page: a
/// Content-Security-Policy that allows only this origin plus the origins images come from,
/// and caching that revalidates the HTML on every visit. The API and storage routes are never
/// looked up on disk, so their 404/405 envelopes are unchanged.
struct WebPageMiddleware: AsyncMiddleware {
    private let files: FileMiddleware
    let contentSecurityPolicy: String

    /// Paths that belong to the service, not to the page.
    static let servicePrefixes = ["/api/", "/storage/"]
    /// The HTML names its assets without a version, so they are cached briefly, not for ever.
    static let assetCacheControl = "public, max-age=300"
    static let pageCacheControl = "no-cache"

    init(publicDirectory: String, imageOrigins: [String]) {
        files = FileMiddleware(publicDirectory: publicDirectory, defaultFile: "index.html")
        let images = (["'self'", "blob:", "data:"] + imageOrigins).joined(separator: " ")
        // Downloads of cross-origin images fetch them, so their origins are connectable too.
        let connect = (["'self'"] + imageOrigins).joined(separator: " ")
        contentSecurityPolicy = [
            "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src \(images)",
            "connect-src \(connect)", "font-src 'self'", "object-src 'none'", "base-uri 'none'",
            "form-action 'self'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let path = request.url.path
        guard request.method == .GET || request.method == .HEAD,
              !Self.servicePrefixes.contains(where: { path.hasPrefix($0) }) else {
            return try await next.respond(to: request)
        }
        let fallThrough = FallThrough(next: next)
        let response = try await files.respond(to: request, chainingTo: fallThrough)
        if fallThrough.reached.withLockedValue({ $0 }) { return response }

        let isPage = path.hasSuffix("/") || path.hasSuffix(".html")
        response.headers.replaceOrAdd(name: .cacheControl, value: isPage ? Self.pageCacheControl : Self.assetCacheControl)
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: contentSecurityPolicy)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        return response
    }

    /// The origins (scheme, host, port) of the URLs images are served from: the service
    /// itself (local storage), the public asset base and the storage backend's public URLs.
    static func imageOrigins(settings: Settings, publicObjectURL: URL?) -> [String] {
        var origins: [String] = []
        for url in [settings.publicBaseURL, settings.publicAssetBaseURL, publicObjectURL].compactMap({ $0 }) {
            guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false),
                  components.scheme != nil, components.host != nil else { continue }
            components.user = nil
            components.password = nil
            components.path = ""
            components.query = nil
            components.fragment = nil
            if let origin = components.string, !origins.contains(origin) { origins.append(origin) }
        }
        return origins
    }

    /// Records whether the file lookup found nothing and handed the request on.
    private final class FallThrough: AsyncResponder, Sendable {
        let next: any AsyncResponder
        let reached = NIOLockedValueBox(false)

        init(next: any AsyncResponder) { self.next = next }

        func respond(to request: Request) async throws -> Response {
            reached.withLockedValue { $0 = true }
            return try await next.respond(to: request)
        }
    }
}

extension WebPageMiddleware {
    /// The page's middleware for a configured service.
    init(publicDirectory: String, context: InteriorContext) {
        let settings = context.settings
        let probe = try? context.store.publicURL(bucket: settings.publicBucket, path: "renders/origin.webp")
        self.init(publicDirectory: publicDirectory, imageOrigins: Self.imageOrigins(settings: settings, publicObjectURL: probe))
    }
}
