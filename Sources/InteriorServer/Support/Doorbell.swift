import Foundation

/// Wakes waiting workers: `ring()` wakes one waiter (or is remembered for the next one to
/// wait), and every wait ends by itself after its timeout, so a missed ring costs at most
/// one scan interval.
actor Doorbell {
    private var waiters: [(id: UUID, continuation: CheckedContinuation<Void, Never>)] = []
    private var rings = 0
    private let maxRemembered: Int

    init(maxRemembered: Int = 8) {
        self.maxRemembered = maxRemembered
    }

    func wait(timeout: Duration) async {
        if rings > 0 {
            rings -= 1
            return
        }
        let id = UUID()
        await withCheckedContinuation { continuation in
            waiters.append((id, continuation))
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.expire(id)
            }
        }
    }

    func ring() {
        if waiters.isEmpty {
            rings = min(rings + 1, maxRemembered)
        } else {
            waiters.removeFirst().continuation.resume()
        }
    }

    /// Wakes everyone (shutting down).
    func ringAll() {
        let all = waiters
        waiters = []
        for waiter in all { waiter.continuation.resume() }
    }

    private func expire(_ id: UUID) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume()
    }
}
