import Foundation
import Storage
import Tracing

/// A store whose writes and deletes are spans of the current trace (the storage writes of a
/// job's submit and of its renders). Reads are left out: signed URLs and object serving
/// would only add noise.
struct TracedBlobStore: BlobStore {
    let base: any BlobStore
    let traces: Traces

    var kind: String { base.kind }

    func put(bucket: String, path: String, data: Data, contentType: String) async throws(StorageError) {
        let span = start("storage.put", bucket: bucket)
        span.attributes["interior.storage.bytes"] = data.count
        defer { span.end() }
        do { try await base.put(bucket: bucket, path: path, data: data, contentType: contentType) } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
    }

    func delete(bucket: String, path: String) async throws(StorageError) {
        let span = start("storage.delete", bucket: bucket)
        defer { span.end() }
        do { try await base.delete(bucket: bucket, path: path) } catch {
            span.recordError(error)
            span.setStatus(SpanStatus(code: .error))
            throw error
        }
    }

    /// The bucket, never the path: paths carry owner and render ids.
    private func start(_ name: String, bucket: String) -> any Span {
        let span = traces.tracer.startSpan(name, context: .current ?? .topLevel, ofKind: .client)
        span.attributes["interior.storage.kind"] = base.kind
        span.attributes["interior.storage.bucket"] = bucket
        return span
    }

    func get(bucket: String, path: String) async throws(StorageError) -> StoredObject { try await base.get(bucket: bucket, path: path) }
    func exists(bucket: String, path: String) async throws(StorageError) -> Bool { try await base.exists(bucket: bucket, path: path) }
    func signedURL(bucket: String, path: String, expiresIn: TimeInterval) async throws(StorageError) -> URL {
        try await base.signedURL(bucket: bucket, path: path, expiresIn: expiresIn)
    }
    func publicURL(bucket: String, path: String) throws(StorageError) -> URL { try base.publicURL(bucket: bucket, path: path) }
    func anonymousURLs(bucket: String, path: String) throws(StorageError) -> [URL] { try base.anonymousURLs(bucket: bucket, path: path) }
    func checkHealth(buckets: [String]) async throws(StorageError) { try await base.checkHealth(buckets: buckets) }
}
