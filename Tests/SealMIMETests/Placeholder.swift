import Testing
@testable import SealMIME
@Test func moduleLinks() {}
