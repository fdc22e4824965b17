import Testing
import VaporTesting
@testable import Replicate
@Test func placeholder2() { #expect(Bool(true)) }
