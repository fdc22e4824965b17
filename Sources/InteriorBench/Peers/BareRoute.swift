import FluentPostgresDriver
import FluentSQLiteDriver
import AsyncHTTPClient
import Fluent
import Foundation
import JWTKit
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// What a user of the same framework would write instead of our status read: a bare Vapor app
/// on the same database, JWTKit checking the same dev token, the same three-table join read
/// through SQLKit's `Codable` rows, and a `Content` answer with the same fields and URLs. Beside
/// it, the same app's health: one `SELECT 1` and a small document. It runs in the bench's
/// process while our server idles. It logs nothing (ours writes an access line per request) and
/// has no request ids, rate budget or envelope middleware, so the comparison leans its way.
final class BareRoute: Sendable {
    let app: Application
    let baseURL: URL
    /// Requests whose handler is running. wrk closes its connections with requests outstanding,
    /// and their handlers go on; the databases may shut down only after the last one returns
    /// (Fluent's `request.db` traps once they are gone).
    private let running: Running

    final class Running: Sendable {
        private let count = NIOLockedValueBox(0)

        func around<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
            count.withLockedValue { $0 += 1 }
            defer { count.withLockedValue { $0 -= 1 } }
            return try await body()
        }

        /// Waits up to `limit` for the handlers still running to return.
        func drain(limit: Duration = .seconds(10)) async {
            let deadline = ContinuousClock.now + limit
            while count.withLockedValue({ $0 }) > 0, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
    }

    private init(app: Application, baseURL: URL, running: Running) {
        self.app = app
        self.baseURL = baseURL
        self.running = running
    }

    static func start(database: EndToEnd.DatabaseKind, databaseURL: String, devSecret: String,
                      publicBaseURL: URL) async throws -> BareRoute {
        let app = try await Application.make(.production)
        app.logger.logLevel = .error
        switch database {
        case .sqlite:
            app.databases.use(.sqlite(.file(String(databaseURL.dropFirst("sqlite://".count)))), as: .sqlite)
        case .postgres:
            app.databases.use(.postgres(configuration: try SQLPostgresConfiguration(url: databaseURL)), as: .psql)
        }
        let keys = await JWTKeyCollection().add(hmac: HMACKey(from: devSecret), digestAlgorithm: .sha256)
        let objects = publicBaseURL.absoluteString + "/storage/v1/object/public/public/"
        let running = Running()

        app.get("health") { request async throws -> Envelope<Health> in
            try await running.around {
                _ = try await (request.db as! any SQLDatabase).raw("SELECT 1 AS one").first()
                return Envelope(data: Health(status: "ok", db: "ok"))
            }
        }
        app.get("generations", ":id") { request async throws -> Envelope<Generation> in
            try await running.around { try await status(request) }
        }
        @Sendable func status(_ request: Request) async throws -> Envelope<Generation> {
            guard let token = request.headers.bearerAuthorization?.token else { throw Abort(.unauthorized) }
            let claims = try await keys.verify(token, as: Claims.self)
            guard let owner = UUID(uuidString: claims.sub.value), let id = request.parameters.get("id", as: UUID.self) else {
                throw Abort(.unauthorized)
            }
            let rows = try await (request.db as! any SQLDatabase).raw("""
                SELECT j.id, j.mode, j.room_type, j.style, j.aspect_ratio, j.quality, j.variants, j.prompt,
                       j.prediction_id, j.status, j.error_code, j.error, j.created_at, j.completed_at,
                       r.id AS render_id, v.idx, v.image_path, v.thumb_path, v.width, v.height
                FROM generation_jobs j
                LEFT JOIN renders r ON r.job_id = j.id AND r.deleted_at IS NULL AND j.status = 'succeeded'
                LEFT JOIN render_variants v ON v.render_id = r.id
                WHERE j.id = \(bind: id) AND j.owner_id = \(bind: owner)
                ORDER BY v.idx
                """).all(decoding: Row.self)
            guard let first = rows.first else { throw Abort(.notFound) }
            return Envelope(data: Generation(first, variants: rows.compactMap { row in
                guard let index = row.idx, let image = row.imagePath, let thumb = row.thumbPath,
                      let width = row.width, let height = row.height else { return nil }
                return Variant(index: index, url: objects + image, thumbUrl: objects + thumb, width: width, height: height)
            }))
        }

        try await app.asyncBoot()
        let port = try FreePort.pick()
        try await app.server.start(address: .hostname("127.0.0.1", port: port))
        return BareRoute(app: app, baseURL: URL(string: "http://127.0.0.1:\(port)")!, running: running)
    }

    /// A bench run fails on wrong answers: the bare route must tell what ours tells.
    static func checkSameAnswer(_ http: HTTPClient, ours: URL, bare: URL, token: String) async throws {
        func data(_ url: URL) async throws -> NSDictionary {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await http.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok,
                  let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
                  let data = object["data"] as? [String: Any] else {
                throw BenchFailure("\(url.path) answered \(response.status.code)")
            }
            return data as NSDictionary
        }
        let (ourAnswer, bareAnswer) = (try await data(ours), try await data(bare))
        for key in ["id", "status", "variants", "settings", "renderId"] where ourAnswer[key] as? NSObject != bareAnswer[key] as? NSObject {
            throw BenchFailure("the bare route's \(key) differs from ours: \(bareAnswer[key] ?? "nil") vs \(ourAnswer[key] ?? "nil")")
        }
    }

    func shutdown() async {
        await app.server.shutdown()
        await running.drain()
        try? await app.asyncShutdown()
    }

    struct Claims: JWTPayload {
        let sub: SubjectClaim
        let exp: ExpirationClaim
        let aud: AudienceClaim

        func verify(using algorithm: some JWTAlgorithm) throws {
            try exp.verifyNotExpired()
            try aud.verifyIntendedAudience(includes: "authenticated")
        }
    }

    struct Row: Decodable {
        let id: UUID
        let mode, roomType, style, aspectRatio, quality, status: String
        let variants: Int
        let prompt, predictionId, errorCode, error, imagePath, thumbPath: String?
        let createdAt: Date
        let completedAt: Date?
        let renderId: UUID?
        let idx, width, height: Int?

        enum CodingKeys: String, CodingKey {
            case id, mode, style, quality, status, variants, prompt, error, idx, width, height
            case roomType = "room_type", aspectRatio = "aspect_ratio", predictionId = "prediction_id"
            case errorCode = "error_code", imagePath = "image_path", thumbPath = "thumb_path"
            case createdAt = "created_at", completedAt = "completed_at", renderId = "render_id"
        }
    }

    struct Envelope<Data: Content>: Content {
        var success = true
        let data: Data
    }

    struct Health: Content {
        let status: String
        let db: String
    }

    struct Settings: Content {
        let roomType, style, aspectRatio, quality: String
        let variants: Int
    }

    struct Failure: Content {
        let code: String
        let message: String
    }

    struct Variant: Content {
        let index: Int
        let url, thumbUrl: String
        let width, height: Int
    }

    struct Generation: Content {
        /// Lower-case, as the API's contract writes ids (`UUID` encodes upper-case).
        let id: String
        let status, mode: String
        let prompt, predictionId: String?
        let renderId: String?
        let settings: Settings
        let createdAt: Date
        let completedAt: Date?
        let error: Failure?
        let variants: [Variant]?

        init(_ row: Row, variants: [Variant]) {
            id = row.id.uuidString.lowercased()
            status = row.status
            mode = row.mode
            prompt = row.prompt
            predictionId = row.predictionId
            renderId = row.renderId?.uuidString.lowercased()
            settings = Settings(roomType: row.roomType, style: row.style, aspectRatio: row.aspectRatio,
                                quality: row.quality, variants: row.variants)
            createdAt = row.createdAt
            completedAt = row.completedAt
            error = row.errorCode.map { Failure(code: $0, message: row.error ?? "") }
            self.variants = row.status == "succeeded" ? variants : nil
        }
    }
}
