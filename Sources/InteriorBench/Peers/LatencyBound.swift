import Foundation

/// What holds the status read's p99 at 64 connections where it is: the same read with fewer
/// connections open (what one request costs when it does not queue), and where the machine's
/// CPU goes while wrk keeps 64 requests outstanding. With a fixed number of requests always
/// outstanding, Little's law makes the mean latency connections / throughput, so a p99 below
/// a bound needs at least connections / bound answers a second.
enum LatencyBound {
    static let connectionCounts = [1, 4, 16, 64]

    static func measure(statusURL: URL, token: String, serverPID: Int32, seconds: Int) throws {
        emit("    status GET by connections open (wrk, \(seconds) s each; mean = connections / rate by Little's law)")
        for connections in connectionCounts {
            let wrk = Wrk(threads: min(2, connections), connections: connections, duration: seconds)
            let before = try CPUTimes.now(serverPID: serverPID)
            let result = try wrk.run(statusURL, token: token)
            let after = try CPUTimes.now(serverPID: serverPID)
            let mean = Duration.seconds(Double(connections) / result.requestsPerSecond)
            PeerReport.line("  \(connections) connection\(connections == 1 ? "" : "s")",
                            String(format: "%.0f req/s", result.requestsPerSecond),
                            "p50 \(Report.format(result.p50)), p99 \(Report.format(result.p99)), mean \(Report.format(mean))")
            PeerReport.line("", "", after.since(before).description)
        }
        let needed = Double(connectionCounts.last!) / 0.015
        emit("    a mean under 15 ms at \(connectionCounts.last!) connections needs over \(String(format: "%.0f", needed)) req/s")
    }
}

/// CPU time in seconds: the whole machine's (busy and in all), the server's, and this
/// process's waited-for children's (wrk, once it has exited), from `/proc`.
struct CPUTimes {
    let machineBusy: Double
    let machineTotal: Double
    /// The CPUs `/proc/stat` counts (the machine's, which a container may see more of than it may use).
    let cores: Double
    let server: Double
    let children: Double

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    static func now(serverPID: Int32) throws -> CPUTimes {
        let stat = try String(contentsOfFile: "/proc/stat", encoding: .utf8)
        guard let line = stat.split(separator: "\n").first, line.hasPrefix("cpu ") else {
            throw BenchFailure("no cpu line in /proc/stat")
        }
        // user nice system idle iowait irq softirq steal (guest time is counted in user already).
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { Double($0) }
        guard ticks.count == 8 else { throw BenchFailure("unexpected /proc/stat: \(line)") }
        let idle = ticks[3] + ticks[4]
        let total = ticks.reduce(0, +)
        let cores = stat.split(separator: "\n").filter { $0.hasPrefix("cpu") && !$0.hasPrefix("cpu ") }.count
        let server = try processTicks(pid: String(serverPID))
        let ours = try processTicks(pid: "self")
        return CPUTimes(machineBusy: (total - idle) / ticksPerSecond, machineTotal: total / ticksPerSecond,
                        cores: Double(max(1, cores)), server: server.own / ticksPerSecond,
                        children: ours.children / ticksPerSecond)
    }

    /// utime + stime, and cutime + cstime, of `/proc/<pid>/stat` (fields 14–17).
    private static func processTicks(pid: String) throws -> (own: Double, children: Double) {
        let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name may hold spaces; the fields after it start at the last ')'.
        guard let close = text.lastIndex(of: ")") else { throw BenchFailure("unexpected /proc/\(pid)/stat") }
        let fields = text[text.index(after: close)...].split(separator: " ").compactMap { Double($0) }
        // fields[0] is field 4 (ppid): state (field 3) is not a number and was dropped.
        guard fields.count > 13 else { throw BenchFailure("unexpected /proc/\(pid)/stat: \(text)") }
        return (fields[10] + fields[11], fields[12] + fields[13])
    }

    struct Interval: CustomStringConvertible {
        let wall: Double
        let cores: Double
        let busy: Double
        let server: Double
        let wrk: Double

        /// In cores: the machine's busy share, the server's, wrk's, and the rest (the
        /// database's own processes on PostgreSQL, the benchmark, anything else running).
        var description: String {
            func share(_ seconds: Double) -> String { String(format: "%.2f", seconds / wall) }
            let rest = max(0, busy - server - wrk)
            return "CPU in cores: \(share(busy)) of \(String(format: "%.0f", cores)) busy; server \(share(server)), "
                + "wrk \(share(wrk)), rest \(share(rest))"
        }
    }

    func since(_ earlier: CPUTimes) -> Interval {
        let total = machineTotal - earlier.machineTotal
        return Interval(wall: total / cores, cores: cores, busy: machineBusy - earlier.machineBusy,
                        server: server - earlier.server, wrk: children - earlier.children)
    }
}
