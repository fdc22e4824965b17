import NIOConcurrencyHelpers

/// A process-wide memory of at most `capacity` values, shared by every request under one lock.
/// It forgets rather than grows: at capacity the values `keep` says are still worth having stay,
/// and if they are half the capacity or more, all of them go, so the pass over the values comes
/// at most once per `capacity / 2` inserts. The bound matters more than the hit rate.
final class BoundedMemory<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let values = NIOLockedValueBox<[Key: Value]>([:])
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 1, "a memory holds at least two values")
        self.capacity = capacity
    }

    /// The value under `key` if `isCurrent` says it still holds; one that does not is forgotten.
    func value(for key: Key, isCurrent: (Value) -> Bool = { _ in true }) -> Value? {
        values.withLockedValue { values in
            guard let value = values[key] else { return nil }
            guard isCurrent(value) else {
                values[key] = nil
                return nil
            }
            return value
        }
    }

    func insert(_ value: Value, for key: Key, keep: (Value) -> Bool = { _ in false }) {
        values.withLockedValue { values in
            if values[key] == nil, values.count >= capacity {
                values = values.filter { keep($0.value) }
                if values.count >= capacity / 2 { values.removeAll(keepingCapacity: true) }
            }
            values[key] = value
        }
    }

    func remove(_ key: Key) {
        _ = values.withLockedValue { $0.removeValue(forKey: key) }
    }

    var count: Int { values.withLockedValue { $0.count } }
}
