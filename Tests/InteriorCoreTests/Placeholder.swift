import Testing
@testable import InteriorCore
@Test func placeholder() { #expect(Bool(true)) }
