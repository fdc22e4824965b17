import Foundation
import Testing
@testable import Imaging

extension ImagingTests {
    @Suite("Resources: bounded concurrency, no leaks")
    struct ResourceTests {
        static let limit = 40_000_000

        /// Counts jobs that are inside their work at the same moment.
        final class Occupancy: @unchecked Sendable {
            private let lock = NSLock()
            private var current = 0
            private(set) var peak = 0
            var now: Int { lock.withLock { current } }
            func enter() { lock.withLock { current += 1; peak = max(peak, current) } }
            func leave() { lock.withLock { current -= 1 } }
            var peakSeen: Int { lock.withLock { peak } }
        }

        @Test("the limiter lets exactly its limit through and queues the rest without threads")
        func limiterBoundsJobThreads() async throws {
            let processor = ImageProcessor(maxConcurrentJobs: 2)
            let occupancy = Occupancy()
            let gate = DispatchSemaphore(value: 0)

            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        try await processor.runJob { () throws(ImagingError) -> Int in
                            occupancy.enter()
                            gate.wait()  // held until the test lets one job finish
                            occupancy.leave()
                            return index
                        }
                    }
                }
                #expect(await eventually { occupancy.now == 2 && processor.limiter.waiting == 4 })
                for released in 1...6 {
                    gate.signal()
                    let remaining = 6 - released
                    #expect(await eventually { processor.limiter.waiting == max(0, remaining - 2) })
                    #expect(occupancy.now <= 2)
                }
                var finished = 0
                for try await _ in group { finished += 1 }
                #expect(finished == 6)
            }
            #expect(occupancy.peakSeen == 2)
            #expect(processor.limiter.peakInFlight == 2)
            #expect(processor.limiter.inFlight == 0)
        }

        @Test("a burst of real renders never has more images in flight than the limit")
        func burstOfRendersIsBounded() async throws {
            let scratch = try Scratch()
            let input = try scratch.pillowFixture("model.png", "gradient", "png", "1024", "1024")
            let processor = ImageProcessor(maxConcurrentJobs: 3)
            let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await processor.renderOutput(input, longEdge: 768, maxPixels: Self.limit).image.width }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(sizes == Array(repeating: 768, count: 12))
            #expect(processor.limiter.peakInFlight == 3)
            #expect(processor.limiter.inFlight == 0)
        }

        @Test("permits go to waiters in arrival order")
        func limiterIsFirstComeFirstServed() async throws {
            final class Arrivals: @unchecked Sendable {
                private let lock = NSLock()
                private var order: [Int] = []
                func record(_ index: Int) { lock.withLock { order.append(index) } }
                var served: [Int] { lock.withLock { order } }
            }
            let limiter = AsyncLimiter(limit: 1)
            let arrivals = Arrivals()
            await limiter.acquire()
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<5 {
                    group.addTask {
                        await limiter.acquire()
                        arrivals.record(index)
                        limiter.release()
                    }
                    // Each waiter is queued before the next one starts.
                    #expect(await eventually { limiter.waiting == index + 1 })
                }
                #expect(arrivals.served.isEmpty, "nobody passes while the permit is held")
                limiter.release()
                await group.waitForAll()
            }
            #expect(arrivals.served == [0, 1, 2, 3, 4])
            #expect(limiter.inFlight == 0 && limiter.waiting == 0)
        }

        @Test("weighted permits: a large request is not overtaken by smaller ones, and more than the limit takes it all")
        func weightedPermitsKeepArrivalOrder() async throws {
            final class Arrivals: @unchecked Sendable {
                private let lock = NSLock()
                private var order: [Int] = []
                func record(_ permits: Int) { lock.withLock { order.append(permits) } }
                var served: [Int] { lock.withLock { order } }
            }
            let limiter = AsyncLimiter(limit: 10)
            let arrivals = Arrivals()
            await limiter.acquire(6)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await limiter.acquire(8); arrivals.record(8) }
                #expect(await eventually { limiter.waiting == 1 })
                // Four are free, so 2 would fit now; it still waits behind the 8.
                group.addTask { await limiter.acquire(2); arrivals.record(2) }
                #expect(await eventually { limiter.waiting == 2 })
                #expect(arrivals.served.isEmpty)
                limiter.release(6)
                await group.waitForAll()
            }
            #expect(arrivals.served == [8, 2])
            #expect(limiter.inFlight == 10 && limiter.peakInFlight == 10)
            limiter.release(8)
            limiter.release(2)
            await limiter.acquire(25)
            #expect(limiter.inFlight == 10, "a request beyond the limit takes every permit, and never waits forever")
            limiter.release(25)
            #expect(limiter.inFlight == 0 && limiter.waiting == 0)
        }

        @Test("hundreds of operations leave no libvips objects behind and memory flat")
        func memoryStaysFlat() async throws {
            let scratch = try Scratch()
            let processor = ImageProcessor()
            let photo = try scratch.pillowFixture("photo.jpg", "gradient", "jpeg", "1200", "900")
            let model = try scratch.pillowFixture("model.png", "gradient", "png", "1000", "1000")
            let noise = try scratch.pillowFixture("noise.png", "noise", "png", "300", "300")
            let truncated = noise.prefix(noise.count / 2)
            let heic = try PhonePhotos.make(.heic, width: 640, height: 480, orientation: 6)
            let avif = try PhonePhotos.make(.avif, width: 640, height: 480)

            func iteration() async throws {
                _ = try await processor.normaliseUpload(photo, maxPixels: Self.limit)
                _ = try await processor.normaliseUpload(heic, maxPixels: Self.limit)
                _ = try await processor.normaliseUpload(avif, maxPixels: Self.limit)
                #expect(await imagingError { () async throws(ImagingError) in
                    _ = try await processor.normaliseUpload(heic.prefix(heic.count / 2), maxPixels: Self.limit)
                }?.isDamagedImage == true)
                _ = try await processor.renderOutput(model, longEdge: 768, maxPixels: Self.limit)
                _ = try await processor.regrade(photo, toward: RGB(r: 200, g: 150, b: 90), amount: 0.5,
                                                width: 512, height: 384, maxPixels: Self.limit)
                _ = try await processor.drawComposition(width: 512, height: 384, palette: [], caption: "Scandi study")
                // Failures must release what they made, too.
                let failure = await imagingError { () async throws(ImagingError) in
                    _ = try await processor.normaliseUpload(truncated, maxPixels: Self.limit)
                }
                #expect(failure?.isDamagedImage == true)
            }

            // Other tests of this process may hold a few images of their own at any moment,
            // so take the quietest of several samples; `below`, when given, keeps sampling
            // (up to 10 s) until the count falls under it — other work ends, a leak never does.
            func quietObjectCount(below bound: Int? = nil) async -> Int {
                var quietest = Int.max
                let deadline = ContinuousClock.now + .seconds(10)
                repeat {
                    for _ in 0..<5 {
                        quietest = min(quietest, VipsRuntime.liveObjectCount)
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                } while bound.map({ quietest >= $0 }) == true && ContinuousClock.now < deadline
                return quietest
            }

            for _ in 0..<8 { try await iteration() }  // warm caches, malloc arenas and fonts
            let objectsBefore = await quietObjectCount()
            let residentBefore = try residentBytes()

            let iterations = 60
            for _ in 0..<iterations { try await iteration() }

            let objectsAfter = await quietObjectCount(below: objectsBefore + iterations / 4)
            let growth = try residentBytes() - residentBefore
            // One leaked reference per iteration would leave at least `iterations` objects;
            // one leaked image, megabytes per iteration.
            #expect(objectsAfter < objectsBefore + iterations / 4, "libvips objects: \(objectsBefore) -> \(objectsAfter)")
            #expect(growth < 64 << 20, "resident memory grew by \(growth >> 20) MB")
        }
    }
}
