import AsyncHTTPClient
import Foundation
import Imaging
import Logging
import NIOCore
import Replicate
import ReplicateEmulator
import Testing
import Vapor

// MARK: - Injected time

/// A clock that only moves when the client sleeps: delays are recorded, never waited.
final class FakeTime: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date
    private var recorded: [Duration] = []

    init(start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        current = start
    }

    var sleeps: [Duration] { lock.withLock { recorded } }

    /// Sleeps as seconds, rounded to the millisecond (for exact comparisons).
    var sleepSeconds: [Double] { sleeps.map { ($0.seconds * 1000).rounded() / 1000 } }

    func now() -> Date { lock.withLock { current } }

    func sleep(_ duration: Duration) {
        lock.withLock {
            recorded.append(duration)
            current = current.addingTimeInterval(duration.seconds)
        }
    }

    func advance(_ seconds: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }
}

/// Collects observer events.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [ReplicateClient.RequestEvent] = []

    func append(_ event: ReplicateClient.RequestEvent) { lock.withLock { items.append(event) } }
    var events: [ReplicateClient.RequestEvent] { lock.withLock { items } }
    var attempts: Int { events.count }
    var outcomes: [ReplicateClient.RequestEvent.Outcome] { events.map(\.outcome) }
}

// MARK: - Captured logs

/// A log handler that keeps every line (message and metadata) so tests can search them.
final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    func logger(_ label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in CapturingHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(all) \(event.error.map { "\($0)" } ?? "")")
        }
    }
}

// MARK: - Shared HTTP client

enum TestHTTP {
    /// One client for the whole test run (AsyncHTTPClient's shared singleton).
    static var client: HTTPClient { HTTPClient.shared }

    static func get(_ url: String, timeout: TimeAmount = .seconds(30)) async throws -> (status: Int, headers: HTTPHeaders, body: Data) {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: timeout)
        let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
        return (Int(response.status.code), response.headers, Data(body.readableBytesView))
    }

    static func send(
        _ method: HTTPMethod, _ url: String, token: String?, json: String? = nil, headers: [(String, String)] = []
    ) async throws -> (status: Int, headers: HTTPHeaders, body: Data) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), response.headers, Data(body.readableBytesView))
    }
}

// MARK: - Emulator and client factories

/// An emulator tuned for tests: no artificial delays, fast webhook retries.
func startEmulator(
    startDelay: Duration = .zero, processingDelay: Duration = .milliseconds(20),
    outputTTL: Duration = .seconds(3600), now: @escaping @Sendable () -> Date = { Date() },
    webhookRetry: EmulatorConfiguration.WebhookRetry = .init(maxAttempts: 4, initialDelay: .milliseconds(50), multiplier: 2),
    dataDirectory: URL? = nil,
    logger: Logger? = nil
) async throws -> RunningEmulator {
    let configuration = EmulatorConfiguration(
        startDelay: startDelay, processingDelay: processingDelay, outputTTL: outputTTL,
        webhookRetry: webhookRetry, webhookTimeout: .seconds(5), dataDirectory: dataDirectory, now: now)
    var quiet = Logger(label: "emulator-test")
    quiet.logLevel = .warning
    return try await ReplicateEmulator.start(configuration, logger: logger ?? quiet)
}

/// Runs `body` with a started emulator and always shuts it down.
func withEmulator<T>(
    startDelay: Duration = .zero, processingDelay: Duration = .milliseconds(20),
    outputTTL: Duration = .seconds(3600), now: @escaping @Sendable () -> Date = { Date() },
    webhookRetry: EmulatorConfiguration.WebhookRetry = .init(maxAttempts: 4, initialDelay: .milliseconds(50), multiplier: 2),
    dataDirectory: URL? = nil,
    logger: Logger? = nil,
    _ body: (RunningEmulator) async throws -> T
) async throws -> T {
    let emulator = try await startEmulator(
        startDelay: startDelay, processingDelay: processingDelay, outputTTL: outputTTL, now: now,
        webhookRetry: webhookRetry, dataDirectory: dataDirectory, logger: logger)
    do {
        let result = try await body(emulator)
        await emulator.shutdown()
        return result
    } catch {
        await emulator.shutdown()
        throw error
    }
}

/// A logger that stays silent unless something is badly wrong (tests assert, they do not print).
func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .critical
    return logger
}

/// A client whose sleeps and clock are fake and whose jitter is always the upper bound, so
/// the recorded delays are exactly the backoff ceilings.
/// Requests may wait 30 s: at the start of a parallel run hundreds of tests boot at once and an
/// emulator's first answers have taken more than 10 s.
func makeClient(
    baseURL: URL, token: String, time: FakeTime, events: EventLog,
    requestTimeout: Duration = .seconds(30), totalDeadline: Duration = .seconds(60),
    retry: RetryPolicy = RetryPolicy(), logger: Logger? = nil
) -> ReplicateClient {
    ReplicateClient(
        configuration: .init(
            baseURL: baseURL, token: token, requestTimeout: requestTimeout, totalDeadline: totalDeadline, retry: retry),
        httpClient: TestHTTP.client,
        logger: logger ?? quietLogger("replicate-test"),
        sleep: { time.sleep($0) },
        now: { time.now() },
        random: { $0.upperBound },
        observe: { events.append($0) })
}

/// The input `openai/gpt-image-1` takes.
struct ImageInput: Encodable, Sendable {
    var prompt: String
    var aspectRatio: String = "1:1"
    var numberOfImages: Int = 1
    var inputImages: [String]?
    var outputFormat: String = "png"

    enum CodingKeys: String, CodingKey {
        case prompt
        case aspectRatio = "aspect_ratio"
        case numberOfImages = "number_of_images"
        case inputImages = "input_images"
        case outputFormat = "output_format"
    }
}

/// A unique prompt, so prompt-marker counters never collide between tests.
func uniquePrompt(_ text: String = "A Coastal AU living room") -> String {
    "\(text) #\(UUID().uuidString.prefix(8))"
}

/// Polls until the prediction is terminal.
func waitUntilTerminal(_ client: ReplicateClient, _ id: String, timeout: Duration = .seconds(30)) async throws -> Prediction {
    let deadline = ContinuousClock.now + timeout
    while true {
        let prediction = try await client.getPrediction(id: id)
        if prediction.status.isTerminal { return prediction }
        guard ContinuousClock.now < deadline else {
            Issue.record("prediction \(id) still \(prediction.status) after \(timeout)")
            return prediction
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}


/// A small room photo (a drawn composition, PNG) to use as an input image.
func roomPhoto(width: Int = 640, height: Int = 480) async throws -> Data {
    try await ImageProcessor(maxConcurrentJobs: 1).drawComposition(
        width: width, height: height,
        palette: [RGB(r: 200, g: 180, b: 150), RGB(r: 90, g: 110, b: 130), RGB(r: 240, g: 240, b: 235)],
        caption: "room").data
}

func isPNG(_ data: Data) -> Bool {
    data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
}

func jsonObject(_ data: Data) throws -> [String: JSONValue] {
    let value = try JSONDecoder().decode(JSONValue.self, from: data)
    guard case .object(let object) = value else {
        Issue.record("not a JSON object: \(String(decoding: data, as: UTF8.self))")
        return [:]
    }
    return object
}
