import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOFoundationCompat
import Replicate
import Vapor

/// A minimal Replicate for the end-to-end benchmarks: a create is answered at once
/// (`starting`), and `webhookDelay` later the `completed` webhook is delivered, signed, with
/// outputs that are pre-rendered bytes served from memory. Nothing is drawn, so none of a
/// model's (or the emulator's) work counts against the server measured.
final class ReplicateStandIn: Sendable {
    /// One delivered `completed` webhook: the moment it was sent and what the server answered.
    struct Delivery: Sendable {
        let predictionId: String
        let jobId: String?
        let sentAt: Date
        let status: UInt
    }

    let token = "r8_benchstandin" + String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24))
    let webhookSecret = WebhookSecret.generate()
    let rootURL: URL
    var baseURL: URL { rootURL.appendingPathComponent("v1") }

    private let app: Application
    private let client: HTTPClient
    private let output: Output
    private let webhookDelay: Duration
    private let state = NIOLockedValueBox(State())

    struct Output: Sendable {
        let bytes: ByteBuffer
        let contentType: String
        let fileExtension: String
    }

    private struct State {
        var predictions: [String: Prediction] = [:]
        var deliveries: [Delivery] = []
        var failures: [String] = []
    }

    static func start(output data: Data, contentType: String, fileExtension: String,
                      webhookDelay: Duration) async throws -> ReplicateStandIn {
        let app = try await Application.make(Environment(name: "bench", arguments: ["bench"]))
        app.logger.logLevel = .error
        app.routes.defaultMaxBodySize = "1mb"
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let port = try FreePort.pick()
        let standIn = ReplicateStandIn(app: app, client: client, port: port, webhookDelay: webhookDelay,
                                       output: Output(bytes: ByteBuffer(data: data), contentType: contentType,
                                                      fileExtension: fileExtension))
        standIn.routes()
        try await app.asyncBoot()
        try await app.server.start(address: .hostname("127.0.0.1", port: port))
        return standIn
    }

    private init(app: Application, client: HTTPClient, port: Int, webhookDelay: Duration, output: Output) {
        self.app = app
        self.client = client
        self.webhookDelay = webhookDelay
        self.output = output
        rootURL = URL(string: "http://127.0.0.1:\(port)")!
    }

    func shutdown() async {
        await app.server.shutdown()
        try? await client.shutdown()
        try? await app.asyncShutdown()
    }

    var deliveries: [Delivery] { state.withLockedValue { $0.deliveries } }
    var failures: [String] { state.withLockedValue { $0.failures } }

    // MARK: - The API

    private struct CreateBody: Decodable {
        let input: JSONValue
        let webhook: String?
    }

    private func routes() {
        let v1 = app.grouped("v1")
        v1.post("models", ":owner", ":name", "predictions") { [self] request in try create(request) }
        v1.post("predictions") { [self] request in try create(request) }
        v1.get("predictions", ":id") { [self] request -> Response in
            guard let prediction = state.withLockedValue({ $0.predictions[request.parameters.get("id") ?? ""] }) else {
                return Response(status: .notFound)
            }
            return try json(prediction, status: .ok)
        }
        v1.post("predictions", ":id", "cancel") { [self] request -> Response in
            let id = request.parameters.get("id") ?? ""
            let prediction = state.withLockedValue { state -> Prediction? in
                guard var prediction = state.predictions[id] else { return nil }
                if prediction.status == .starting || prediction.status == .processing { prediction.status = .canceled }
                state.predictions[id] = prediction
                return prediction
            }
            guard let prediction else { return Response(status: .notFound) }
            return try json(prediction, status: .ok)
        }
        app.get("files", ":id", ":name") { [self] _ -> Response in
            var headers = HTTPHeaders()
            headers.contentType = HTTPMediaType(type: "image", subType: output.fileExtension == "png" ? "png" : "webp")
            return Response(status: .ok, headers: headers, body: .init(buffer: output.bytes))
        }
    }

    private func create(_ request: Request) throws -> Response {
        guard request.headers.bearerAuthorization?.token == token else { return Response(status: .unauthorized) }
        guard let body = request.body.data else { return Response(status: .badRequest) }
        let create = try JSONDecoder().decode(CreateBody.self, from: body)
        let id = Self.predictionId()
        let count = max(1, create.input["number_of_images"]?.intValue ?? 1)
        let now = Date()
        let starting = Prediction(
            id: id, model: request.parameters.get("owner").map { "\($0)/\(request.parameters.get("name") ?? "")" },
            version: "bench", status: .starting, input: create.input,
            urls: .init(get: baseURL.appendingPathComponent("predictions/\(id)"),
                        cancel: baseURL.appendingPathComponent("predictions/\(id)/cancel")),
            createdAt: now)
        var done = starting
        done.status = .succeeded
        done.output = (0..<count).map { rootURL.appendingPathComponent("files/\(id)/out-\($0).\(output.fileExtension)") }
        done.startedAt = now
        state.withLockedValue { $0.predictions[id] = starting }
        if let webhook = create.webhook.flatMap(URL.init(string:)) {
            Task { await deliver(done, to: webhook) }
        }
        return try json(starting, status: .created)
    }

    private func deliver(_ prediction: Prediction, to url: URL) async {
        try? await Task.sleep(for: webhookDelay)
        var prediction = prediction
        prediction.completedAt = Date()
        state.withLockedValue { $0.predictions[prediction.id] = prediction }
        do {
            let body = try JSONEncoder().encode(prediction)
            let messageId = "msg_" + prediction.id
            let sentAt = Date()
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            for header in try WebhookSigner(secret: WebhookSecret(webhookSecret))
                .headers(id: messageId, timestamp: Int(sentAt.timeIntervalSince1970), body: body) {
                request.headers.add(name: header.name, value: header.value)
            }
            request.body = .bytes(ByteBuffer(data: body))
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            let job = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "job" }?.value
            state.withLockedValue {
                $0.deliveries.append(Delivery(predictionId: prediction.id, jobId: job, sentAt: sentAt, status: response.status.code))
            }
        } catch {
            state.withLockedValue { $0.failures.append("webhook for \(prediction.id): \(error)") }
        }
    }

    private func json(_ prediction: Prediction, status: HTTPResponseStatus) throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: status, headers: headers, body: .init(data: try JSONEncoder().encode(prediction)))
    }

    /// 26 lowercase letters and digits, as Replicate's ids.
    private static func predictionId() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<26).map { _ in alphabet.randomElement()! })
    }
}
