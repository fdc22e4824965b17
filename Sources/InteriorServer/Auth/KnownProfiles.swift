import Foundation
import NIOConcurrencyHelpers

/// Users whose profile row is known to exist with their current email, so an authenticated
/// request writes to `profiles` only the first time (per process) a user or email is seen.
final class KnownProfiles: Sendable {
    private struct Entry: Hashable { let id: UUID; let email: String? }
    private let entries = NIOLockedValueBox<Set<Entry>>([])
    private let capacity = 50_000

    func contains(id: UUID, email: String?) -> Bool {
        entries.withLockedValue { $0.contains(Entry(id: id, email: email)) }
    }

    func insert(id: UUID, email: String?) {
        entries.withLockedValue { set in
            if set.count >= capacity { set.removeAll(keepingCapacity: true) }
            set.insert(Entry(id: id, email: email))
        }
    }
}
