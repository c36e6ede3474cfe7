import Testing
@testable import SealPolicy
@Test func moduleLinks() {}
