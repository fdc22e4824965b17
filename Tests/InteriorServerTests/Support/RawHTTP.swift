import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP connection that speaks HTTP by hand, for what a well-behaved client never does:
/// stop mid-body, trickle a body, hang up, or read the response head byte for byte.
final class RawHTTPConnection: Sendable {
    private let channel: any Channel
    private let state: NIOLockedValueBox<(data: Data, closed: Bool)>

    private init(channel: any Channel, state: NIOLockedValueBox<(data: Data, closed: Bool)>) {
        self.channel = channel
        self.state = state
    }

    static func connect(port: Int) async throws -> RawHTTPConnection {
        let state = NIOLockedValueBox((data: Data(), closed: false))
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(state: state)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawHTTPConnection(channel: channel, state: state)
    }

    func send(_ data: Data) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: data)).get()
    }

    func send(_ text: String) async throws { try await send(Data(text.utf8)) }

    func close() async { try? await channel.close().get() }

    var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Waits (up to `timeout`) for a whole response: its head and, by `Content-Length`, its body.
    func response(timeout: Duration) async -> RawHTTPResponse? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (data, closed) = state.withLockedValue { ($0.data, $0.closed) }
            if let response = RawHTTPResponse(data), response.isComplete || closed { return response }
            if closed { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state: NIOLockedValueBox<(data: Data, closed: Bool)>

        init(state: NIOLockedValueBox<(data: Data, closed: Bool)>) { self.state = state }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            state.withLockedValue { $0.data.append(contentsOf: buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLockedValue { $0.closed = true }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

/// A response as it came over the wire: status, every header line in order (repeats kept),
/// and the body.
struct RawHTTPResponse {
    let status: Int
    let headers: [(name: String, value: String)]
    let body: Data

    init?(_ data: Data) {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        guard let statusLine = lines.first, statusLine.hasPrefix("HTTP/1."),
              let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else { return nil }
        self.status = status
        self.headers = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        self.body = Data(data[end.upperBound...])
    }

    func values(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    var isComplete: Bool {
        guard let length = values("Content-Length").first.flatMap(Int.init) else { return false }
        return body.count >= length
    }

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}
