import Testing
@testable import SealMIME

@Suite struct HeaderFieldsTests {
    @Test func foldingKeptLineEndsMadeOneKindSpaceAdded() {
        let fields = [(name: "Subject", value: " a\r\n\tb"), (name: "X-Bare", value: "c\n d"), (name: "To", value: "x@y")]
        #expect(String(decoding: HeaderFields.serialize(fields), as: UTF8.self)
                == "Subject: a\r\n\tb\r\nX-Bare: c\r\n d\r\nTo: x@y\r\n")
        #expect(String(decoding: HeaderFields.serialize(fields, eol: [10]), as: UTF8.self)
                == "Subject: a\n\tb\nX-Bare: c\n d\nTo: x@y\n")
        // A carriage return not ending a line stays.
        #expect(HeaderFields.serialize([(name: "A", value: " x\ry")]) == Array("A: x\ry\r\n".utf8))
    }
}
