import Testing
@testable import SealDetect
@Test func moduleLinks() {}
