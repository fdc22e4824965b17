import Testing
@testable import Imaging
@Test func placeholder() { #expect(Bool(true)) }
