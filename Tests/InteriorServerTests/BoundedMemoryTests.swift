@testable import InteriorServer
import Testing

/// The process-wide memory under `VerifiedTokens` and `SettledJobs`: it never holds more than
/// its capacity, and forgets rather than grows.
@Suite("Support: bounded memory")
struct BoundedMemoryTests {
    @Test("replacing a key's value at capacity keeps every other value")
    func replaceAtCapacity() {
        let memory = BoundedMemory<Int, String>(capacity: 4)
        for key in 0..<4 { memory.insert("v\(key)", for: key) }
        memory.insert("new", for: 2)
        #expect(memory.count == 4)
        #expect(memory.value(for: 2) == "new")
        #expect((0..<4).allSatisfy { memory.value(for: $0) != nil })
    }

    @Test("a new key at capacity: the values kept stay when they are under half, else all go")
    func newKeyAtCapacity() {
        let memory = BoundedMemory<Int, Int>(capacity: 4)
        for key in 0..<4 { memory.insert(key, for: key) }
        memory.insert(4, for: 4, keep: { $0 == 3 })
        #expect(memory.count == 2)
        #expect(memory.value(for: 3) == 3)
        #expect(memory.value(for: 4) == 4)
        #expect(memory.value(for: 0) == nil)

        for key in 5..<7 { memory.insert(key, for: key) }
        #expect(memory.count == 4)
        memory.insert(7, for: 7, keep: { $0 >= 5 })
        #expect(memory.count == 1, "two of four kept is half: all go")
        #expect(memory.value(for: 7) == 7)
    }

    @Test("never more than the capacity, however many keys pass through")
    func bounded() {
        let memory = BoundedMemory<Int, Int>(capacity: 16)
        var largest = 0
        for key in 0..<1_000 {
            memory.insert(key, for: key)
            largest = max(largest, memory.count)
        }
        #expect(largest == 16)
        #expect(memory.value(for: 999) == 999)
    }

    @Test("a value found no longer current is forgotten; another key's is untouched")
    func staleForgotten() {
        let memory = BoundedMemory<String, Int>(capacity: 4)
        memory.insert(1, for: "a")
        memory.insert(2, for: "b")
        #expect(memory.value(for: "a", isCurrent: { $0 > 1 }) == nil)
        #expect(memory.value(for: "a") == nil)
        #expect(memory.value(for: "b") == 2)
        memory.remove("b")
        #expect(memory.count == 0)
    }
}
