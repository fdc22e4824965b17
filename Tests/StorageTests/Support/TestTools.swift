import Foundation
import Testing
@_exported import TestSupport
@testable import Storage

/// The botocore oracle: expected Signature V4 values from an implementation independent of ours.
enum BotocoreOracle {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Python/botocore_oracle.py").path

    /// Runs the oracle; fails the test (never skips) when Python or botocore is missing.
    static func run(_ arguments: [String], input: Data = Data(), environment: [String: String] = [:]) throws -> Data {
        try TestPython.run(file: script, arguments, input: input, environment: environment)
    }
}

/// The `StorageError` an operation throws, or nil when it succeeds. Any other error is recorded
/// as a test issue.
func storageError(_ body: () async throws -> Void) async -> StorageError? {
    do {
        try await body()
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        Issue.record("expected a StorageError, got \(error)")
        return nil
    }
}

func storageErrorSync(_ body: () throws -> Void) -> StorageError? {
    do {
        try body()
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        Issue.record("expected a StorageError, got \(error)")
        return nil
    }
}

extension StorageError {
    var isInvalidPath: Bool { if case .invalidPath = self { true } else { false } }
    var isInvalidBucket: Bool { if case .invalidBucket = self { true } else { false } }
    var isUnavailable: Bool { if case .unavailable = self { true } else { false } }
    var invalidPathReason: String? { if case let .invalidPath(reason) = self { reason } else { nil } }
}
