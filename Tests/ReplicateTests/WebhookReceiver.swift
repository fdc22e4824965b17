import Foundation
import Logging
import Replicate
import Testing
import TestSupport
import Vapor

/// A small HTTP server for the tests: receives webhooks (answering with scripted statuses),
/// serves input images, and echoes the Authorization header back in an error (to prove the
/// client redacts an echoed token).
final class WebhookReceiver: @unchecked Sendable {
    struct Received: Sendable {
        let id: String?
        let timestamp: String?
        let signature: String?
        let body: Data
        let arrivedAt: ContinuousClock.Instant

        var json: [String: JSONValue] {
            (try? JSONDecoder().decode(JSONValue.self, from: body))?.objectValue ?? [:]
        }
        var status: String? { json["status"]?.stringValue }
    }

    private let app: Application
    private let lock = NSLock()
    private var received: [Received] = []
    private var scriptedStatuses: [Int] = []
    private var files: [String: (Data, String)] = [:]
    let port: Int

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var hookURL: URL { URL(string: "\(baseURL)/hook")! }

    static func start() async throws -> WebhookReceiver {
        var logger = Logger(label: "webhook-receiver")
        logger.logLevel = .warning
        let app = try await Application.make(.init(name: "testing", arguments: ["test"]), .singleton, logger: logger)
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        let holder = Holder()
        app.on(.POST, "hook", body: .collect(maxSize: "4mb")) { request in
            guard let receiver = holder.receiver else { return Response(status: .serviceUnavailable) }
            return receiver.handleHook(request)
        }
        app.get("files", ":name") { request in
            guard let receiver = holder.receiver,
                  let (data, type) = receiver.file(request.parameters.get("name") ?? "")
            else { return Response(status: .notFound) }
            return Response(status: .ok, headers: ["Content-Type": type], body: .init(data: data))
        }
        app.on(.GET, "echo", "**") { request in Self.echo(request) }
        app.on(.POST, "echo", "**") { request in Self.echo(request) }
        try await app.asyncBoot()
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = app.http.server.shared.localAddress?.port ?? 0
        let receiver = WebhookReceiver(app: app, port: port)
        holder.receiver = receiver
        return receiver
    }

    private final class Holder: @unchecked Sendable {
        var receiver: WebhookReceiver?
    }

    private init(app: Application, port: Int) {
        self.app = app
        self.port = port
    }

    func shutdown() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }

    /// The next deliveries get these statuses, in order; then 200.
    func script(_ statuses: [Int]) {
        lock.withLock { scriptedStatuses = statuses }
    }

    func serve(_ name: String, _ data: Data, type: String = "image/png") {
        lock.withLock { files[name] = (data, type) }
    }

    func fileURL(_ name: String) -> String { "\(baseURL)/files/\(name)" }

    var deliveries: [Received] { lock.withLock { received } }

    /// Waits until at least `count` deliveries arrived; after `timeout` it throws, so a caller
    /// never reads deliveries that did not come.
    @discardableResult
    func waitFor(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while deliveries.count < count {
            guard ContinuousClock.now < deadline else {
                throw ToolFailure("expected \(count) webhook deliveries within \(timeout), got \(deliveries.count)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        return deliveries
    }

    private func handleHook(_ request: Request) -> Response {
        let body = request.body.data.map { Data($0.readableBytesView) } ?? Data()
        let status: Int = lock.withLock {
            received.append(Received(
                id: request.headers.first(name: "webhook-id"),
                timestamp: request.headers.first(name: "webhook-timestamp"),
                signature: request.headers.first(name: "webhook-signature"),
                body: body, arrivedAt: .now))
            return scriptedStatuses.isEmpty ? 200 : scriptedStatuses.removeFirst()
        }
        return Response(status: .init(statusCode: status), body: .init(string: "{}"))
    }

    private func file(_ name: String) -> (Data, String)? {
        lock.withLock { files[name] }
    }

    private static func echo(_ request: Request) -> Response {
        let auth = request.headers.first(name: .authorization) ?? ""
        let body = #"{"title":"Echo","detail":"rejected credentials: \#(auth)"}"#
        return Response(status: .badRequest, headers: ["Content-Type": "application/json"], body: .init(string: body))
    }
}

/// Runs `body` with a receiver and always shuts it down.
func withReceiver<T>(_ body: (WebhookReceiver) async throws -> T) async throws -> T {
    let receiver = try await WebhookReceiver.start()
    do {
        let result = try await body(receiver)
        await receiver.shutdown()
        return result
    } catch {
        await receiver.shutdown()
        throw error
    }
}
