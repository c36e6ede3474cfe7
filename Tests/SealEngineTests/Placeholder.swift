import Testing
@testable import SealEngine
@Test func moduleLinks() {}
