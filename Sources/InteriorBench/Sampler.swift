/// One side of a benchmark. Synchronous work is called in a plain loop, so a fast operation
/// is not timed together with a suspension point per call.
enum Operation: Sendable {
    case sync(@Sendable () throws -> Void)
    case async(@Sendable () async throws -> Void)

    func call(times count: Int) async throws {
        switch self {
        case .sync(let body):
            for _ in 0..<count { try body() }
        case .async(let body):
            for _ in 0..<count { try await body() }
        }
    }
}

/// Per-call times of one side, sorted.
struct Samples {
    let sorted: [Duration]
    /// Calls timed together in each sample (fast operations are batched).
    let batch: Int

    init(_ values: [Duration], batch: Int) {
        precondition(!values.isEmpty)
        sorted = values.sorted()
        self.batch = batch
    }

    var median: Duration {
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }

    /// Nearest-rank 90th percentile.
    var p90: Duration {
        let rank = Int((0.9 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, rank - 1)]
    }
}

/// Warm-up, batch sizing and timed samples on the monotonic clock.
struct Sampler {
    let iterations: Int
    let clock = ContinuousClock()

    /// Each side is called at least this often, and for at least this long, before timing.
    static let warmUpCalls = 2
    static let warmUpTime: Duration = .milliseconds(100)
    /// Operations faster than this are timed in batches that take about this long, so the
    /// clock's own cost and resolution stay negligible.
    static let targetSampleTime: Duration = .milliseconds(5)
    static let maxBatch = 1_000_000

    /// Warms both sides, then alternates ours and the reference so that drift (thermal,
    /// page cache, other load) lands on both equally.
    func measure(ours: Operation, reference: Operation) async throws -> (ours: Samples, reference: Samples) {
        let samples = try await measure([ours, reference])
        return (samples[0], samples[1])
    }

    /// The same for any number of sides, taken in turn within each round.
    func measure(_ sides: [Operation]) async throws -> [Samples] {
        var batches: [Int] = []
        for side in sides { batches.append(try await warmUp(side)) }
        var times = Array(repeating: [Duration](), count: sides.count)
        for _ in 0..<iterations {
            for (index, side) in sides.enumerated() {
                times[index].append(try await sample(side, batch: batches[index]))
            }
        }
        return zip(times, batches).map { Samples($0, batch: $1) }
    }

    /// Calls `operation` until warm and returns the batch size for its samples.
    private func warmUp(_ operation: Operation) async throws -> Int {
        var calls = 0
        var fastest = Duration.seconds(3600)
        let start = clock.now
        while calls < Self.warmUpCalls || clock.now - start < Self.warmUpTime {
            let callStart = clock.now
            try await operation.call(times: 1)
            fastest = min(fastest, clock.now - callStart)
            calls += 1
        }
        guard fastest < Self.targetSampleTime else { return 1 }
        let perCall = max(fastest, .nanoseconds(1))
        return min(Self.maxBatch, Int((Self.targetSampleTime / perCall).rounded(.up)))
    }

    private func sample(_ operation: Operation, batch: Int) async throws -> Duration {
        let start = clock.now
        try await operation.call(times: batch)
        return (clock.now - start) / batch
    }
}

/// Keeps a result alive so the optimiser cannot drop the work that produced it.
@_optimize(none)
func blackHole<T>(_ value: T) {}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
