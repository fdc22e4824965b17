import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Replicate

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The emulator's predictions and output files on disk, so a restarted emulator carries on
/// where it stopped, as Replicate does (an emulator that forgot its predictions on every
/// restart left the server polling 404s until the stuck cutoff). Under its directory:
/// - `predictions/<id>.json`: one record per prediction, rewritten on every change;
/// - `files/<id>/out-<n>.<ext>`: its outputs, until they expire;
/// - `control.json` (0600): where the emulator listens and its token, for its operator;
/// - `corrupt/`: records that could not be read, set aside rather than fatal;
/// - `lock`: held while an emulator uses the directory, so two never share one.
/// Every file is written under a temporary name and renamed into place, so a kill mid-write
/// leaves the old version or the new one, never half of either.
final class EmulatorArchive: @unchecked Sendable {
    /// What the operator needs to reach the control endpoint, and the port a restart reuses.
    struct Control: Codable, Sendable, Equatable {
        var baseURL: String
        var token: String
        var port: Int

        enum CodingKeys: String, CodingKey {
            case token, port
            case baseURL = "base_url"
        }
    }

    let directory: URL
    private let logger: Logger
    /// The descriptor holding the `lock` file's flock, until `release()`.
    private var lockDescriptor: Int32?
    private let mutex = NSLock()

    private var predictions: URL { directory.appendingPathComponent("predictions", isDirectory: true) }
    private var files: URL { directory.appendingPathComponent("files", isDirectory: true) }
    private var corrupt: URL { directory.appendingPathComponent("corrupt", isDirectory: true) }
    var controlFile: URL { directory.appendingPathComponent("control.json") }

    private init(directory: URL, lock: Int32, logger: Logger) {
        self.directory = directory
        self.lockDescriptor = lock
        self.logger = logger
    }

    deinit { release() }

    /// Lets another emulator use the directory (a kill releases it too: the kernel drops the lock).
    func release() {
        mutex.withLock {
            if let descriptor = lockDescriptor { close(descriptor) }
            lockDescriptor = nil
        }
    }

    /// Opens the directory, creating it. One that cannot be used (not a directory, not
    /// writable) is moved aside and started afresh. Nil — the emulator then keeps its
    /// predictions in memory — when even that fails, or when another emulator holds it (which
    /// is then left alone).
    static func open(_ directory: URL, logger: Logger) -> EmulatorArchive? {
        switch prepare(directory, logger: logger) {
        case .ready(let archive): return archive
        case .held: return nil
        case .unusable: break
        }
        let aside = directory.deletingLastPathComponent()
            .appendingPathComponent("\(directory.lastPathComponent).unusable-\(Int(Date().timeIntervalSince1970))")
        if (try? FileManager.default.moveItem(at: directory, to: aside)) != nil {
            logger.error("the emulator's store could not be used; it was set aside and a new one started", metadata: [
                "directory": "\(directory.path)", "set_aside": "\(aside.path)",
            ])
            if case .ready(let archive) = prepare(directory, logger: logger) { return archive }
        }
        logger.error("the emulator's store cannot be used: its predictions will not survive a restart", metadata: [
            "directory": "\(directory.path)",
        ])
        return nil
    }

    private enum Preparation {
        case ready(EmulatorArchive)
        /// Another emulator holds it: left alone.
        case held
        case unusable
    }

    private static func prepare(_ directory: URL, logger: Logger) -> Preparation {
        let manager = FileManager.default
        do {
            for folder in ["", "predictions", "files"] {
                try manager.createDirectory(at: directory.appendingPathComponent(folder, isDirectory: true),
                                            withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            _ = try manager.contentsOfDirectory(atPath: directory.appendingPathComponent("predictions").path)
            let probe = directory.appendingPathComponent(".probe")
            try writeAtomically(Data(), to: probe)
            try manager.removeItem(at: probe)
        } catch {
            return .unusable
        }
        let descriptor = openLockFile(directory.appendingPathComponent("lock").path)
        guard descriptor >= 0 else { return .unusable }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            logger.error("another emulator is using this store: this one keeps its predictions in memory", metadata: [
                "directory": "\(directory.path)",
            ])
            return .held
        }
        return .ready(EmulatorArchive(directory: directory, lock: descriptor, logger: logger))
    }

    // MARK: Predictions

    /// Every readable record, oldest first. Temporary files a kill left behind are removed;
    /// records that do not decode are moved to `corrupt/` and logged.
    func loadRecords() -> [PredictionRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: predictions.path)) ?? []
        var records: [PredictionRecord] = []
        for name in names.sorted() {
            let url = predictions.appendingPathComponent(name)
            if name.hasPrefix(".") {
                try? FileManager.default.removeItem(at: url)
                continue
            }
            guard name.hasSuffix(".json") else { continue }
            do {
                let record = try JSONDecoder().decode(PredictionRecord.self, from: Data(contentsOf: url))
                guard "\(record.id).json" == name else { throw ArchiveError("the record is named for another prediction") }
                records.append(record)
            } catch {
                setAside(url, reason: error)
            }
        }
        return records.sorted { $0.createdAt < $1.createdAt }
    }

    func save(_ record: PredictionRecord) {
        do {
            try Self.writeAtomically(try JSONEncoder().encode(record), to: predictions.appendingPathComponent("\(record.id).json"))
        } catch {
            logger.error("could not save an emulator prediction: it will not survive a restart", metadata: [
                "prediction_id": "\(record.id)", "error": "\(error)",
            ])
        }
    }

    /// Forgets a prediction: its record and its files.
    func remove(_ id: String) {
        try? FileManager.default.removeItem(at: predictions.appendingPathComponent("\(id).json"))
        removeFiles(of: id)
    }

    private func setAside(_ url: URL, reason: any Error) {
        let target = corrupt.appendingPathComponent("\(url.lastPathComponent).\(Int(Date().timeIntervalSince1970))")
        do {
            try FileManager.default.createDirectory(at: corrupt, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try FileManager.default.moveItem(at: url, to: target)
            logger.error("an emulator prediction could not be read; it was set aside", metadata: [
                "file": "\(url.lastPathComponent)", "set_aside": "\(target.path)", "error": "\(reason)",
            ])
        } catch {
            try? FileManager.default.removeItem(at: url)
            logger.error("an emulator prediction could not be read, nor set aside; it was removed", metadata: [
                "file": "\(url.lastPathComponent)", "error": "\(reason)",
            ])
        }
    }

    // MARK: Output files

    /// `name` is `<prediction id>/out-<n>.<ext>`, as the emulator makes it.
    func writeFile(_ name: String, _ data: Data) throws {
        let url = files.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try Self.writeAtomically(data, to: url)
    }

    func readFile(_ name: String) -> Data? {
        FileManager.default.contents(atPath: files.appendingPathComponent(name).path)
    }

    func removeFiles(of id: String) {
        try? FileManager.default.removeItem(at: files.appendingPathComponent(id, isDirectory: true))
    }

    // MARK: Control

    func readControl() -> Control? {
        guard let data = FileManager.default.contents(atPath: controlFile.path) else { return nil }
        return try? JSONDecoder().decode(Control.self, from: data)
    }

    func writeControl(_ control: Control) {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try Self.writeAtomically(try encoder.encode(control), to: controlFile)
        } catch {
            logger.error("could not write the emulator's control file", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Writing

    /// Writes `data` beside `url` under a temporary name, then renames it into place
    /// (rename is atomic within a directory).
    static func writeAtomically(_ data: Data, to url: URL) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ArchiveError("could not write \(temporary.path)")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ArchiveError("could not move \(temporary.lastPathComponent) into place: \(reason)")
        }
    }
}

private func openLockFile(_ path: String) -> Int32 {
    #if canImport(Glibc)
    Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    #else
    Darwin.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    #endif
}

struct ArchiveError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// An emulator already running on a data directory, as a command that only polls (such as
/// `interior sweep`) reaches it instead of starting a second one that knows nothing.
public struct RunningEmulatorAddress: Sendable {
    public let baseURL: URL
    public let token: String
    public let webhookSecret: String

    /// The emulator `control.json` in `directory` names, when it answers with its token.
    public static func find(in directory: URL, timeout: Duration = .seconds(2)) async -> RunningEmulatorAddress? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("control.json").path),
              let control = try? JSONDecoder().decode(EmulatorArchive.Control.self, from: data),
              let base = URL(string: control.baseURL)
        else { return nil }
        var request = HTTPClientRequest(url: control.baseURL + "/webhooks/default/secret")
        request.headers.add(name: "Authorization", value: "Bearer \(control.token)")
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(timeout.seconds * 1e9))),
              response.status == .ok, response.headers.first(name: ReplicateEmulator.responseHeader) == "true",
              let body = try? await response.body.collect(upTo: 64 * 1024),
              case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)),
              let secret = object["key"]?.stringValue
        else { return nil }
        return RunningEmulatorAddress(baseURL: base, token: control.token, webhookSecret: secret)
    }
}
