import Foundation
import NIOCore
import Vapor

/// `GET /metrics` in Prometheus text format. With `METRICS_TOKEN` set it requires that bearer
/// token; without, it answers loopback clients only.
enum MetricsController {
    @Sendable
    static func metrics(_ request: Request) async throws -> Response {
        let context = request.interior
        if let token = context.settings.metricsToken {
            guard let given = request.headers.bearerAuthorization?.token,
                  Data(given.utf8).constantTimeEquals(Data(token.value.utf8)) else {
                throw APIError.unauthorized
            }
        } else {
            guard let address = request.remoteAddress, Self.isLoopback(address) else { throw APIError.notFound }
        }
        let inFlight = try await JobRepository(db: request.db).countInFlight()
        let pending = try await InboxRepository(sql: request.sql).count(state: .pending)
        context.metrics.setGauges(inFlight: inFlight, inboxPending: pending)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return Response(status: .ok, headers: headers, body: .init(string: context.metrics.render()))
    }

    private static func isLoopback(_ address: SocketAddress) -> Bool {
        switch address {
        case let .v4(v4): v4.host.hasPrefix("127.")
        case let .v6(v6): v6.host == "::1" || v6.host.hasPrefix("::ffff:127.")
        case .unixDomainSocket: true
        }
    }
}

extension Data {
    /// Compares in time independent of where the bytes differ.
    func constantTimeEquals(_ other: Data) -> Bool {
        guard count == other.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(self, other) { difference |= a ^ b }
        return difference == 0
    }
}
