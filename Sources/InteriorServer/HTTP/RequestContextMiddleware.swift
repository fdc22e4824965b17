import InteriorAPI
import Vapor

/// The outermost middleware: gives every request an id (the client's `X-Request-Id` when it is
/// sane, else a new one), marks every response `Cache-Control: private, no-store` unless a
/// route chose its own caching, and logs one line per request with id, route, status and
/// duration. It never logs headers, query strings or bodies, so tokens and signed-URL
/// signatures cannot reach the logs.
struct RequestContextMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let started = ContinuousClock.now
        let requestId = Self.requestId(from: request.headers.first(name: .xRequestId))
        request.requestId = requestId
        request.logger[metadataKey: "request-id"] = .string(requestId)

        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            // The error middleware sits inside this one; reaching here means it failed itself.
            request.logger.error("request failed before a response was made", metadata: ["error": "\(String(reflecting: error))"])
            response = try JSONCoding.response(Components.Schemas.ErrorEnvelope(.internalError), status: .internalServerError)
        }

        response.headers.replaceOrAdd(name: .xRequestId, value: requestId)
        if !response.headers.contains(name: .cacheControl) {
            response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        }

        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        request.logger.log(
            level: response.status.code >= 500 ? .warning : .info,
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "route": .string(Self.routeName(of: request)),
                "status": .stringConvertible(response.status.code),
                "ms": .string(String(format: "%.1f", milliseconds)),
            ])
        return response
    }

    /// The route pattern (`/api/v1/generations/:id`), never the concrete path, so ids and
    /// object paths stay out of logs and metrics labels stay bounded.
    static func routeName(of request: Request) -> String {
        guard let route = request.route else { return "(unmatched)" }
        return "/" + route.path.map(\.description).joined(separator: "/")
    }

    /// A client-supplied id is echoed only when it is short and plain; anything else is
    /// replaced, so a hostile header cannot forge log lines.
    static func requestId(from header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
           header.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }) {
            return header
        }
        return UUID().uuidString.lowercased()
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}

extension Request {
    private struct RequestIdKey: StorageKey { typealias Value = String }

    /// The id this request is logged and answered under (`X-Request-Id`).
    var requestId: String {
        get { storage[RequestIdKey.self] ?? id }
        set { storage[RequestIdKey.self] = newValue }
    }
}
