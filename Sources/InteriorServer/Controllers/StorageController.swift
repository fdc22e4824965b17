import Foundation
import Storage
import Vapor

/// The local storage backend's object URLs, in Supabase Storage's shapes:
/// `GET /storage/v1/object/public/{bucket}/{path}` (the public bucket only) and
/// `GET /storage/v1/object/sign/{bucket}/{path}?token=...` (a signed URL this service issued).
enum StorageController {
    @Sendable
    static func publicObject(_ request: Request) async throws -> Response {
        let (bucket, path) = try location(request)
        guard bucket == request.interior.settings.publicBucket else { throw APIError.notFound }
        return try await serve(request, bucket: bucket, path: path, cacheControl: "public, max-age=3600")
    }

    @Sendable
    static func signedObject(_ request: Request) async throws -> Response {
        let (bucket, path) = try location(request)
        guard let store = request.interior.localStore else { throw APIError.notFound }
        guard let token = request.query[String.self, at: "token"], !token.isEmpty else {
            throw APIError(.forbidden, "This link is not valid.")
        }
        do {
            try store.verifySignedAccess(bucket: bucket, path: path, token: token)
        } catch .signedURL(.expired) {
            throw APIError(.forbidden, "This link has expired.")
        } catch {
            throw APIError(.forbidden, "This link is not valid.")
        }
        return try await serve(request, bucket: bucket, path: path, cacheControl: "private, max-age=60")
    }

    private static func location(_ request: Request) throws -> (String, String) {
        guard let bucket = request.parameters.get("bucket") else { throw APIError.notFound }
        let segments = request.parameters.getCatchall()
        var decoded: [String] = []
        for segment in segments {
            guard let text = segment.removingPercentEncoding else { throw APIError.notFound }
            decoded.append(text)
        }
        let path = decoded.joined(separator: "/")
        // Traversal, absolute paths, empty segments and control characters never reach the disk.
        do {
            try ObjectPath.validate(path)
            try ObjectPath.validateBucket(bucket)
        } catch {
            throw APIError.notFound
        }
        return (bucket, path)
    }

    private static func serve(_ request: Request, bucket: String, path: String, cacheControl: String) async throws -> Response {
        let result: Result<StoredObject, StorageError>
        do {
            result = .success(try await request.interior.store.get(bucket: bucket, path: path))
        } catch {
            result = .failure(error)
        }
        guard case let .success(object) = result else {
            if case .failure(.notFound) = result { throw APIError.notFound }
            if case let .failure(error) = result { request.logger.error("storage read failed", metadata: ["error": "\(error)"]) }
            throw APIError.internalError
        }
        let etag = "\"\(object.etag)\""
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .eTag, value: etag)
        headers.replaceOrAdd(name: .cacheControl, value: cacheControl)
        headers.replaceOrAdd(name: .lastModified, value: HTTPHeaders.formatDate(object.lastModified))
        if let match = request.headers.first(name: .ifNoneMatch),
           match.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }).contains(where: { $0 == etag || $0 == "*" || $0 == "W/\(etag)" }) {
            return Response(status: .notModified, headers: headers)
        }
        headers.replaceOrAdd(name: .contentType, value: object.contentType)
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        return Response(status: .ok, headers: headers, body: .init(data: object.data))
    }
}

extension HTTPHeaders {
    static func formatDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
