import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// What the end-to-end benchmarks ask of a running server, over HTTP as any client would.
struct APIClient: Sendable {
    let http: HTTPClient
    let baseURL: URL

    struct Job: Decodable, Sendable {
        struct Variant: Decodable, Sendable {
            let index: Int
            let url: String
            let thumbUrl: String
            let width: Int
            let height: Int
        }

        struct Failure: Decodable, Sendable {
            let code: String
            let message: String
        }

        let id: String
        let status: String
        let createdAt: Date
        let completedAt: Date?
        let variants: [Variant]?
        let error: Failure?
    }

    private struct Envelope<T: Decodable>: Decodable {
        let data: T
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = text.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
            guard let date = formatter.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a date: \(text)"))
            }
            return date
        }
        return decoder
    }()

    /// A dev-mode token for `user` (`POST /api/v1/auth/dev-token`).
    func token(for user: UUID) async throws -> String {
        struct Token: Decodable { let token: String }
        let body = try JSONSerialization.data(withJSONObject: ["userId": user.uuidString.lowercased()])
        return try await send(.POST, "api/v1/auth/dev-token", body: body, as: Token.self, expect: 200).token
    }

    /// Submits an imagine job (text only) with `variants` variants; the job's id.
    func submit(token: String, variants: Int, prompt: String) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: [
            "mode": "imagine", "prompt": prompt, "roomType": "living_room", "style": "coastal_au",
            "aspectRatio": "1:1", "quality": "auto", "variants": variants,
        ])
        return try await send(.POST, "api/v1/generations", token: token, body: body, as: Job.self, expect: 202).id
    }

    func job(_ id: String, token: String) async throws -> Job {
        try await send(.GET, "api/v1/generations/\(id)", token: token, as: Job.self, expect: 200)
    }

    /// The bytes at a URL the server handed out (a stored render or thumbnail).
    func fetch(_ url: String) async throws -> Data {
        let response = try await http.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else { throw BenchFailure("GET \(url) answered \(response.status.code)") }
        return Data(buffer: body)
    }

    /// One sample of `/metrics` (the loopback client needs no token).
    func metrics() async throws -> [String: Double] {
        let response = try await http.execute(HTTPClientRequest(url: baseURL.appendingPathComponent("metrics").absoluteString),
                                              timeout: .seconds(10))
        let body = String(buffer: try await response.body.collect(upTo: 16 << 20))
        guard response.status == .ok else { throw BenchFailure("GET /metrics answered \(response.status.code)") }
        var values: [String: Double] = [:]
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let value = Double(parts[parts.count - 1]) else { continue }
            // Series of one metric with different labels are summed under the bare name.
            let name = String(parts[0].split(separator: "{").first ?? "")
            values[name, default: 0] += value
        }
        return values
    }

    private func send<T: Decodable>(_ method: HTTPMethod, _ path: String, token: String? = nil, body: Data? = nil,
                                    as type: T.Type, expect: UInt) async throws -> T {
        var request = HTTPClientRequest(url: baseURL.appendingPathComponent(path).absoluteString)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let data = Data(buffer: try await response.body.collect(upTo: 16 << 20))
        guard response.status.code == expect else {
            throw BenchFailure("\(method) /\(path) answered \(response.status.code): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        return try Self.decoder.decode(Envelope<T>.self, from: data).data
    }
}
