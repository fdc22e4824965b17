import Testing
import VaporTesting
@testable import InteriorServer
@Test func placeholder3() { #expect(Bool(true)) }
