import FluentKit
import NIOCore

/// How an instance's PostgreSQL connections (`DATABASE_POOL_SIZE`) are spread over its event
/// loops. Fluent keeps one pool per event loop, every one of the same size, so the instance
/// total is loops × per-loop size. A total the loop count does not divide is reached by
/// pooling on fewer loops: the most loops (at most all of them) that divide the total, each
/// with total ÷ loops connections. 4 on 2 loops is 2 + 2; 3 on 2 loops is 3 on one loop.
struct PostgresPoolPlan: Equatable, Sendable {
    let loops: Int
    let connectionsPerLoop: Int

    var total: Int { loops * connectionsPerLoop }

    init(total: Int, eventLoops: Int) {
        precondition(total >= 1 && eventLoops >= 1, "a pool needs a connection and a loop")
        let loops = (1...min(total, eventLoops)).last { total.isMultiple(of: $0) }!
        self.loops = loops
        self.connectionsPerLoop = total / loops
    }
}

/// A database configuration whose handles all use the pools of the plan's loops. The driver
/// underneath keeps a pool for every loop, but a pool opens connections only when asked, so
/// the pools of the other loops stay empty and the instance never holds more than the plan's
/// total.
struct LoopLimitedConfiguration: DatabaseConfiguration {
    var base: any DatabaseConfiguration
    let plan: PostgresPoolPlan

    var middleware: [any AnyModelMiddleware] {
        get { base.middleware }
        set { base.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        let loops = Array(databases.eventLoopGroup.makeIterator().prefix(plan.loops))
        return LoopLimitedDriver(base: base.makeDriver(for: databases), loops: loops)
    }
}

private struct LoopLimitedDriver: DatabaseDriver {
    let base: any DatabaseDriver
    let loops: [any EventLoop]

    func makeDatabase(with context: DatabaseContext) -> any Database {
        base.makeDatabase(with: DatabaseContext(
            configuration: context.configuration, logger: context.logger, eventLoop: pooledLoop(for: context.eventLoop),
            history: context.history, pageSizeLimit: context.pageSizeLimit, shouldTrace: context.shouldTrace))
    }

    /// The loop itself when it has a pool; otherwise always the same one of those that do.
    private func pooledLoop(for loop: any EventLoop) -> any EventLoop {
        if loops.contains(where: { $0 === loop }) { return loop }
        return loops[Int(UInt(bitPattern: ObjectIdentifier(loop).hashValue) % UInt(loops.count))]
    }

    func shutdown() { base.shutdown() }
    func shutdownAsync() async { await base.shutdownAsync() }
}
