import Tracing
import Vapor

/// A server span for every request, named by its route pattern (never the concrete path, so
/// ids stay out of span names), continuing the caller's trace when it sends a `traceparent`.
/// Routes marked `tracedByHandler()` are skipped: the Replicate webhook opens its span in the
/// job's trace once the signature is checked.
struct RequestTracingMiddleware: AsyncMiddleware {
    let traces: Traces

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.route?.isTracedByHandler == true { return try await next.respond(to: request) }
        var parent = ServiceContext.topLevel
        var headers: [String: String] = [:]
        for name in ["traceparent", "tracestate"] {
            if let value = request.headers.first(name: name) { headers[name] = value }
        }
        traces.tracer.extract(headers, into: &parent, using: DictionaryPropagation())
        let route = RequestContextMiddleware.routeName(of: request)
        return try await traces.span("\(request.method.rawValue) \(route)", parent: parent, kind: .server,
                                     attributes: Self.attributes(request, route: route)) { span in
            // Vapor restores this across its future boundaries (`traceAutoPropagation`).
            request.serviceContext = span.context
            request.logTraceIds()
            let response = try await next.respond(to: request)
            span.attributes["http.response.status_code"] = Int(response.status.code)
            if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return response
        }
    }

    static func attributes(_ request: Request, route: String) -> SpanAttributes {
        var attributes = SpanAttributes()
        attributes["http.request.method"] = request.method.rawValue
        attributes["http.route"] = route
        attributes["interior.request_id"] = request.requestId
        return attributes
    }
}

extension Request {
    /// Puts the current span's ids on the request's logger, so its lines carry them even
    /// where they are written outside the span (the request line, written last).
    func logTraceIds() {
        for (key, value) in TraceMetadataLogHandler.current() { logger[metadataKey: key] = value }
    }
}

extension Route {
    /// Marks a route whose handler opens its own server span.
    @discardableResult
    func tracedByHandler() -> Route {
        userInfo["interior.tracedByHandler"] = true
        return self
    }

    var isTracedByHandler: Bool { userInfo["interior.tracedByHandler"] != nil }
}
