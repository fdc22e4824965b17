import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TestSupport

/// A loopback port nobody is listening on right now, chosen below Linux's ephemeral range
/// (32768–60999) so an outgoing connection cannot take it between this check and the bind.
func freePort() async throws -> Int {
    for _ in 0..<50 {
        let candidate = Int.random(in: 20_000..<32_000)
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: candidate).get()
            try await channel.close()
            return candidate
        } catch {
            continue
        }
    }
    throw ToolFailure("no free loopback port found")
}

/// A response as a test sees it: status, headers, raw body, and the body parsed as JSON.
struct TestResponse: Sendable {
    let status: HTTPResponseStatus
    let headers: HTTPHeaders
    let body: Data

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
    }

    /// `data` of a success envelope.
    var data: [String: Any] { json["data"] as? [String: Any] ?? [:] }

    /// `error.code` of an error envelope.
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
    var errorDetails: [String: Any]? { (json["error"] as? [String: Any])?["details"] as? [String: Any] }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Real HTTP against the application under test.
struct TestClient: Sendable {
    let baseURL: URL

    func send(_ method: HTTPMethod, _ path: String, token: String? = nil, headers: [(String, String)] = [],
              body: Data? = nil, contentType: String? = nil) async throws -> TestResponse {
        var request = HTTPClientRequest(url: baseURL.absoluteString + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return TestResponse(status: response.status, headers: response.headers, body: Data(buffer: collected))
    }

    func get(_ path: String, token: String? = nil, headers: [(String, String)] = []) async throws -> TestResponse {
        try await send(.GET, path, token: token, headers: headers)
    }

    func postJSON(_ path: String, _ object: Any, token: String? = nil, headers: [(String, String)] = []) async throws -> TestResponse {
        try await send(.POST, path, token: token, headers: headers, body: try JSONSerialization.data(withJSONObject: object))
    }
}
