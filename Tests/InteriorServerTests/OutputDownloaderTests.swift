import AsyncHTTPClient
import Foundation
import Imaging
@testable import InteriorServer
import NIOConcurrencyHelpers
import Testing
import Vapor

@Suite("Output downloads: the bytes held at once are bounded")
struct OutputDownloaderTests {
    /// A local server handing out 3 MB outputs (with their length), counting the requests.
    final class Outputs: Sendable {
        static let body = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let requests = NIOLockedValueBox(0)
    }

    static func withOutputServer(_ body: (String, Outputs) async throws -> Void) async throws {
        let outputs = Outputs()
        try await withLocalHTTPServer({ app in
            app.get("out", ":n") { _ -> Response in
                outputs.requests.withLockedValue { $0 += 1 }
                return Response(status: .ok, headers: ["Content-Type": "image/png"], body: .init(data: Outputs.body))
            }
        }) { base in try await body(base, outputs) }
    }

    @Test("downloads past the budget wait before connecting and go on as converted outputs release their bytes")
    func budgetBoundsBytesInFlight() async throws {
        try await Self.withOutputServer { base, outputs in
            let client = OutputDownloader.makeClient()
            let budget = AsyncLimiter(limit: 8_000_000)
            let downloader = OutputDownloader(
                client: client, allowedOrigins: [OutputOrigin.exact(URL(string: base)!)!], maxBytes: 25 << 20, timeout: .seconds(60),
                attempts: 1, sleep: { _ in }, budget: budget, expectedBytes: 4_000_000)
            let done = NIOLockedValueBox<[OutputDownloader.Download]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        let download = try await downloader.download(URL(string: "\(base)/out/\(index)")!)
                        done.withLockedValue { $0.append(download) }
                    }
                }
                // Two 4 MB reservations fill the 8 MB budget; each then holds its 3 MB, and the
                // 2 MB left is less than the next reservation: four wait without connecting.
                #expect(await eventually { done.withLockedValue { $0.count } == 2 })
                try await Task.sleep(for: .milliseconds(200))
                #expect(done.withLockedValue { $0.count } == 2)
                #expect(outputs.requests.withLockedValue { $0 } == 2)
                #expect(budget.inFlight == 6_000_000)
                // Each release lets the next one through.
                for finished in 3...6 {
                    guard let finishedFirst = done.withLockedValue({ $0.isEmpty ? nil : $0.removeFirst() }) else {
                        Issue.record("no finished download to release before download \(finished)")
                        break
                    }
                    finishedFirst.release()
                    #expect(await eventually { done.withLockedValue { $0.count } == 2 }, "after \(finished - 2) releases")
                    #expect(outputs.requests.withLockedValue { $0 } == finished)
                }
                try await group.waitForAll()
            }
            for download in done.withLockedValue({ $0 }) {
                #expect(download.data == Outputs.body)
                download.release()
            }
            #expect(budget.peakInFlight <= 8_000_000)
            #expect(budget.inFlight == 0)
            try await client.shutdown()
        }
    }
}

/// Polls `condition` until it holds or 60 s pass (a debug build under a parallel run is slow).
private func eventually(_ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
