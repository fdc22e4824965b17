import NIOConcurrencyHelpers
import Vapor

/// Which methods the registered routes answer for a path, so a request with the wrong method
/// gets 405 with `Allow` rather than 404. Consulted only when routing found nothing.
final class AllowedMethods: Sendable {
    private let patterns = NIOLockedValueBox<[(path: [PathComponent], method: HTTPMethod)]>([])

    func load(from routes: Routes) {
        patterns.withLockedValue { $0 = routes.all.map { ($0.path, $0.method) } }
    }

    func lookup(_ request: Request) -> [HTTPMethod] {
        let segments = request.url.path.split(separator: "/").map(String.init)
        var methods = patterns.withLockedValue { patterns in
            patterns.filter { Self.matches($0.path, segments) }.map(\.method)
        }
        if methods.contains(.GET), !methods.contains(.HEAD) { methods.append(.HEAD) }
        var seen = Set<String>()
        return methods.filter { seen.insert($0.rawValue).inserted }
    }

    private static func matches(_ pattern: [PathComponent], _ segments: [String]) -> Bool {
        var index = 0
        for component in pattern {
            switch component {
            case .catchall:
                return index < segments.count
            case .anything, .parameter:
                guard index < segments.count else { return false }
            case let .constant(text):
                guard index < segments.count, segments[index] == text else { return false }
            }
            index += 1
        }
        return index == segments.count
    }
}
