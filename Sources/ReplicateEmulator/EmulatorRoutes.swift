import Foundation
import InteriorCore
import Replicate
import Vapor

/// Labels every response as the emulator's, records it, and turns thrown errors into
/// Replicate-style problem bodies.
struct EmulatorMiddleware: AsyncMiddleware {
    let box: CoreBox
    let logger: Logger

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch let error as AbortError {
            response = EmulatorRoutes.problem(
                Int(error.status.code), detail: error.reason, headers: error.headers)
        } catch {
            logger.error("emulator request failed", metadata: ["error": "\(error)"])
            response = EmulatorRoutes.problem(500, detail: "Internal emulator error")
        }
        response.headers.replaceOrAdd(name: ReplicateEmulator.responseHeader, value: "true")
        await box.get()?.store.record(RecordedRequest(
            method: request.method.rawValue, path: request.url.path, status: Int(response.status.code)))
        return response
    }
}

/// Checks `Authorization: Bearer <token>` (or the older `Token <token>`).
struct BearerTokenMiddleware: AsyncMiddleware {
    let token: String

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let header = request.headers.first(name: .authorization) ?? ""
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, ["bearer", "token"].contains(parts[0].lowercased()),
              Self.equal(String(parts[1]), token)
        else {
            return EmulatorRoutes.problem(
                401, title: "Unauthenticated", detail: "You did not pass a valid authentication token")
        }
        return try await next.respond(to: request)
    }

    private static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

enum EmulatorRoutes {
    static func register(on app: Application, box: CoreBox, token: String) {
        @Sendable func currentCore() throws -> EmulatorCore {
            guard let core = box.get() else { throw Abort(.serviceUnavailable, reason: "The emulator is starting") }
            return core
        }

        app.get { _ in
            json(200, .object([
                "emulator": .bool(true),
                "description": .string("A local emulator of Replicate's HTTP API, for development and tests."),
            ]))
        }

        let api = app.grouped("v1").grouped(BearerTokenMiddleware(token: token))

        // MARK: Predictions
        api.on(.POST, "models", ":owner", ":name", "predictions", body: .collect(maxSize: "32mb")) { request in
            let core = try currentCore()
            let owner = request.parameters.get("owner") ?? ""
            let name = request.parameters.get("name") ?? ""
            guard let model = core.catalog.model(owner: owner, name: name) else {
                return problem(404, title: "Not found", detail: "The requested model \(owner)/\(name) could not be found")
            }
            return try await create(request, core: core, model: model)
        }
        api.on(.POST, "predictions", body: .collect(maxSize: "32mb")) { request in
            try await create(request, core: try currentCore(), model: nil)
        }
        api.get("predictions") { _ in
            let core = try currentCore()
            let results = await core.store.all().map { PredictionJSON.object($0, addresses: core.addresses) }
            return json(200, .object(["previous": .null, "next": .null, "results": .array(results)]))
        }
        api.get("predictions", ":id") { request in
            let core = try currentCore()
            let id = request.parameters.get("id") ?? ""
            guard await core.store.prediction(id) != nil else { return notFound() }
            if let fault = await core.store.consumeEndpointFault(id, cancel: false),
               let response = await apply(fault, endpoint: "get")
            {
                return response
            }
            guard let record = await core.store.prediction(id) else { return notFound() }
            return json(200, PredictionJSON.object(record, addresses: core.addresses))
        }
        api.post("predictions", ":id", "cancel") { request in
            let core = try currentCore()
            let id = request.parameters.get("id") ?? ""
            guard await core.store.prediction(id) != nil else { return notFound() }
            if let fault = await core.store.consumeEndpointFault(id, cancel: true),
               let response = await apply(fault, endpoint: "cancel")
            {
                return response
            }
            guard let record = await core.runner.cancel(id) else { return notFound() }
            return json(200, PredictionJSON.object(record, addresses: core.addresses))
        }

        // MARK: Webhook secret
        api.get("webhooks", "default", "secret") { _ in
            let core = try currentCore()
            return json(200, .object(["key": .string(core.configuration.webhookSecret)]))
        }

        // MARK: Fault injection and inspection (the operator's, behind the token)
        api.on(.POST, "_emulator", "faults", body: .collect(maxSize: "1mb")) { request in
            let core = try currentCore()
            let bad = "The body must be a fault plan (see docs/emulator.md)"
            guard let body = request.body.data,
                  case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))
            else { return problem(400, title: "Bad request", detail: bad) }
            let unknown = FaultPlan.problems(in: fields)
            guard unknown.isEmpty else { return problem(400, title: "Bad request", detail: unknown.joined(separator: "; ")) }
            guard let plan = try? JSONDecoder().decode(FaultPlan.self, from: Data(body.readableBytesView)) else {
                return problem(400, title: "Bad request", detail: bad)
            }
            guard plan.invalidValues.isEmpty else {
                return problem(400, title: "Bad request", detail: plan.invalidValues.joined(separator: "; "))
            }
            await core.store.enqueue(plan)
            let queued = await core.store.pendingPlans.count
            return json(201, .object(["queued": .number(Double(queued))]))
        }
        api.get("_emulator", "deliveries") { _ in
            let core = try currentCore()
            let deliveries = await core.store.deliveries.map { delivery -> JSONValue in
                .object([
                    "prediction_id": .string(delivery.predictionID), "event": .string(delivery.event),
                    "webhook_id": .string(delivery.webhookID), "attempt": .number(Double(delivery.attempt)),
                    "status": delivery.status.map { .number(Double($0)) } ?? .null, "dropped": .bool(delivery.dropped),
                ])
            }
            return json(200, .object(["deliveries": .array(deliveries)]))
        }
        api.delete("_emulator", "faults") { _ in
            let core = try currentCore()
            await core.store.clearFaults()
            return Response(status: .noContent)
        }
        api.post("_emulator", "predictions", ":id", "expire") { request in
            let core = try currentCore()
            let id = request.parameters.get("id") ?? ""
            guard await core.store.prediction(id) != nil else { return notFound() }
            await core.store.removeData(id)
            guard let record = await core.store.prediction(id) else { return notFound() }
            return json(200, PredictionJSON.object(record, addresses: core.addresses))
        }

        // MARK: Output files (public, like replicate.delivery)
        app.get("files", ":id", ":name") { request in
            let core = try currentCore()
            let path = "\(request.parameters.get("id") ?? "")/\(request.parameters.get("name") ?? "")"
            guard let file = await core.store.file(path) else {
                return problem(404, title: "Not found", detail: "This file does not exist or has expired")
            }
            return serve(file)
        }
    }

    // MARK: - Create

    private static func create(_ request: Request, core: EmulatorCore, model pathModel: EmulatedModel?) async throws -> Response {
        guard let buffer = request.body.data,
              let body = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer.readableBytesView)),
              case .object(let object) = body
        else { return problem(400, title: "Bad request", detail: "The request body must be a JSON object") }

        let model: EmulatedModel
        if let pathModel {
            model = pathModel
        } else {
            guard let version = object["version"]?.stringValue, !version.isEmpty else {
                return problem(422, title: "Invalid request", detail: "version is required")
            }
            guard let found = core.catalog.model(version: version) else {
                return problem(422, title: "Invalid version", detail: "Invalid version or not permitted")
            }
            model = found
        }

        guard case .object(let input)? = object["input"] else {
            return problem(422, title: "Input validation failed", detail: "input is required")
        }
        let createFault = await core.store.createFault()
        if let createFault, let response = await apply(createFault, endpoint: "create") {
            return response
        }

        let job: ModelJob
        switch model.validate(input, requireSecrets: core.configuration.requireSecrets) {
        case .success(let valid): job = valid
        case .failure(let rejection):
            return problem(422, title: "Input validation failed", detail: rejection.detail, invalidFields: rejection.problems)
        }

        var webhook: URL?
        if let value = object["webhook"], value != .null {
            guard let text = value.stringValue, let url = URL(string: text),
                  ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false
            else { return problem(422, title: "Invalid request", detail: "webhook must be an absolute HTTP(S) URL") }
            webhook = url
        }
        var filter: Set<WebhookEvent>?
        if let value = object["webhook_events_filter"], value != .null {
            guard let items = value.arrayValue else {
                return problem(422, title: "Invalid request", detail: "webhook_events_filter must be an array")
            }
            var events = Set<WebhookEvent>()
            for item in items {
                guard let name = item.stringValue, let event = WebhookEvent(rawValue: name) else {
                    return problem(
                        422, title: "Invalid request",
                        detail: "webhook_events_filter may only contain start, output, logs, completed")
                }
                events.insert(event)
            }
            filter = events
        }

        let queued = await core.store.takeQueuedPlan()
        let plan = queued ?? FaultPlan()
        var redacted = input
        for field in model.secretFields where redacted[field] != nil {
            redacted[field] = .string("[REDACTED]")
        }
        let record = PredictionRecord(
            id: newPredictionID(), model: model.reference, input: .object(redacted), job: job, plan: plan,
            webhook: webhook, eventsFilter: filter, createdAt: core.configuration.now())
        await core.runner.start(record)
        core.logger.info("emulator prediction created", metadata: [
            "prediction_id": "\(record.id)", "model": "\(model.identifier)",
            "faults": "\(plan.isEmpty ? "none" : "injected")",
        ])

        // A late answer to a create that did happen: the client may time out having created it.
        let lateBy = queued?.create?.status == nil ? queued?.create?.delay : nil
        if let lateBy, lateBy > 0 { try? await Task.sleep(for: .seconds(lateBy)) }

        if let wait = preferWait(request.headers) {
            let deadline = ContinuousClock.now + .seconds(wait)
            while ContinuousClock.now < deadline {
                if let current = await core.store.prediction(record.id), current.status.isTerminal { break }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        // Without a wait, the answer describes the prediction as it was made (`starting`),
        // however quickly it has moved on since.
        let waited = (lateBy ?? 0) > 0 || preferWait(request.headers) != nil
        let current = waited ? await core.store.prediction(record.id) ?? record : record
        return json(201, PredictionJSON.object(current, addresses: core.addresses))
    }

    /// `Prefer: wait` (60 s) or `Prefer: wait=N` (clamped to 1...60).
    static func preferWait(_ headers: HTTPHeaders) -> Int? {
        for value in headers[canonicalForm: "Prefer"] {
            let text = value.trimmingCharacters(in: .whitespaces).lowercased()
            if text == "wait" { return 60 }
            if text.hasPrefix("wait=") {
                guard let seconds = Int(text.dropFirst(5)) else { continue }
                return min(60, max(1, seconds))
            }
        }
        return nil
    }

    /// Replicate-like ids: 26 lowercase letters and digits.
    static func newPredictionID() -> String {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        return String((0..<26).map { _ in alphabet.randomElement()! })
    }

    // MARK: - Faults

    /// Answers with the fault's status (after its delay), or only waits when it has no status.
    private static func apply(_ fault: FaultPlan.EndpointFault, endpoint: String) async -> Response? {
        if let delay = fault.delay, delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
        guard let status = fault.status else { return nil }
        var headers = HTTPHeaders()
        if let retryAfter = fault.retryAfter { headers.add(name: "Retry-After", value: retryAfter) }
        if let body = fault.body {
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            return Response(status: .init(statusCode: status), headers: headers, body: .init(string: body))
        }
        let reason = HTTPResponseStatus(statusCode: status).reasonPhrase
        return problem(
            status, title: reason, detail: fault.detail ?? "Emulated fault on \(endpoint): HTTP \(status)",
            headers: headers)
    }

    // MARK: - Files

    private static func serve(_ file: StoredFile) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "Cache-Control", value: "public, max-age=3600")
        switch file.mode {
        case .normal:
            headers.add(name: "Content-Type", value: file.contentType)
            return Response(status: .ok, headers: headers, body: .init(data: file.data))
        case .truncated:
            headers.add(name: "Content-Type", value: file.contentType)
            return Response(status: .ok, headers: headers, body: .init(data: file.data.prefix(file.data.count / 2)))
        case .notImage:
            headers.add(name: "Content-Type", value: file.contentType)
            return Response(
                status: .ok, headers: headers,
                body: .init(string: "<!doctype html><html><body><h1>Emulated error page</h1></body></html>"))
        case .missing:
            return problem(404, title: "Not found", detail: "This file does not exist or has expired")
        case .slow:
            headers.add(name: "Content-Type", value: file.contentType)
            return Response(status: .ok, headers: headers, body: trickle(file.data, over: file.delay))
        }
    }

    /// The body in 16 pieces spread over `seconds`. However the stream stops — the client
    /// leaves, a write fails, the task is cancelled — it ends with `.end` or `.error`: Vapor
    /// requires one of them, and a debug build dies on the spot without.
    static func trickle(_ data: Data, over seconds: Double, chunks: Int = 16) -> Response.Body {
        let pause = Duration.seconds(max(0, seconds) / Double(chunks))
        return .init(asyncStream: { writer in
            do {
                let size = max(1, (data.count + chunks - 1) / chunks)
                var offset = 0
                while offset < data.count {
                    try await Task.sleep(for: pause)
                    let end = min(data.count, offset + size)
                    try await writer.writeBuffer(ByteBuffer(bytes: data[offset..<end]))
                    offset = end
                }
                try await writer.write(.end)
            } catch {
                try? await writer.write(.error(error))
            }
        }, count: data.count)
    }

    // MARK: - Responses

    static func json(_ status: Int, _ value: JSONValue) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        return Response(status: .init(statusCode: status), headers: headers, body: .init(data: PredictionJSON.data(value)))
    }

    static func problem(
        _ status: Int, title: String? = nil, detail: String, invalidFields: [ModelInputRejection.Problem] = [],
        headers: HTTPHeaders = [:]
    ) -> Response {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Type", value: "application/problem+json")
        let title = title ?? HTTPResponseStatus(statusCode: status).reasonPhrase
        return Response(
            status: .init(statusCode: status), headers: headers,
            body: .init(data: PredictionJSON.problem(status: status, title: title, detail: detail, invalidFields: invalidFields)))
    }

    private static func notFound() -> Response {
        problem(404, title: "Not found", detail: "The requested resource could not be found")
    }
}
