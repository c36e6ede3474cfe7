import Testing
@testable import SealMIME

/// Charset conversion through glibc's iconv (no Foundation): the charsets mail
/// uses, stateful encodings, invalid bytes and unknown names.
@Suite struct CharsetTests {
    @Test func commonCharsets() {
        #expect(Charset.decode([0x80, 0x20, 0x93, 0x61, 0x94], charset: "windows-1252") == "€ “a”")
        #expect(Charset.decode([0x80], charset: "CP1252") == "€")
        #expect(Charset.decode([0xE9, 0x74, 0xE9], charset: "ISO-8859-1") == "été")
        #expect(Charset.decode([0xA4], charset: "iso-8859-15") == "€")
        #expect(Charset.decode([0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4], charset: "koi8-r") == "Привет")
        #expect(Charset.decode([0x82, 0xB1, 0x82, 0xF1], charset: "Shift_JIS") == "こん")
        #expect(Charset.decode([0xC4, 0xE3, 0xBA, 0xC3], charset: "gb2312") == "你好")
        #expect(Charset.decode([0xA7, 0x41, 0xA6, 0x6E], charset: "big5") == "你好")
        #expect(Charset.decode([0xFF, 0xFE, 0x41, 0x00, 0xE9, 0x00], charset: "utf-16") == "Aé")
    }

    @Test func statefulEncodingIsFlushed() {
        // ISO-2022-JP: ESC $ B switches to JIS X 0208, ESC ( B back to ASCII.
        let bytes: [UInt8] = [0x1B, 0x24, 0x42, 0x24, 0x33, 0x24, 0x73, 0x1B, 0x28, 0x42, 0x21]
        #expect(Charset.decode(bytes, charset: "iso-2022-jp") == "こん!")
    }

    @Test func invalidBytesBecomeReplacementCharacters() {
        // 0xFF is no Shift_JIS byte; the rest still converts.
        #expect(Charset.decode([0x41, 0xFF, 0x42], charset: "shift_jis") == "A\u{FFFD}B")
        #expect(Charset.decode([0xC4], charset: "gb2312") == "\u{FFFD}")  // truncated
        #expect(Charset.decode([0xC3, 0x28], charset: "utf-8") == "\u{FFFD}(")
    }

    @Test func unknownCharsetFallsBackToUTF8() {
        #expect(Charset.decode(Array("héllo".utf8), charset: "x-no-such-charset") == "héllo")
        #expect(Charset.decode(Array("abc".utf8), charset: "bad/name//TRANSLIT") == "abc")
        #expect(Charset.decode(Array("abc".utf8), charset: nil) == "abc")
    }

    @Test func largeInputCrossesTheBufferEdge() {
        let bytes = [UInt8](repeating: 0x80, count: 10_000)  // 3 UTF-8 bytes each
        #expect(Charset.decode(bytes, charset: "windows-1252") == String(repeating: "€", count: 10_000))
    }
}
