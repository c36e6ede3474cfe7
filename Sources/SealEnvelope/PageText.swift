/// The page's text as it goes into the message: lines end with the message's
/// line end, and the transfer encoding is 7bit, or quoted-printable when some
/// line would be longer than 998 octets (a large logo in the branding).
final class PageText {
    enum Encoding { case sevenBit, quotedPrintable }
    let sink: BufferedSink
    let eol: [UInt8]
    let encoding: Encoding
    /// The QP line being built (bytes already encoded).
    private var qpLine: [UInt8] = []

    init(_ sink: any ByteSink, eol: [UInt8], encoding: Encoding) {
        self.sink = BufferedSink(sink); self.eol = eol; self.encoding = encoding
    }

    /// Writes page text with `\n` line ends (pure ASCII, checked by the caller).
    func write(_ text: UnsafeRawBufferPointer) throws {
        switch encoding {
        case .sevenBit:
            if eol == [10] { try sink.write(text); return }
            var start = 0
            for i in 0..<text.count where text[i] == 10 {
                try sink.write(UnsafeRawBufferPointer(rebasing: text[start..<i]))
                try eol.withUnsafeBytes { try sink.write($0) }
                start = i + 1
            }
            if start < text.count { try sink.write(UnsafeRawBufferPointer(rebasing: text[start...])) }
        case .quotedPrintable:
            for b in text { try qp(b) }
        }
    }

    func write(_ text: [UInt8]) throws { try text.withUnsafeBytes { try write($0) } }
    func write(_ text: String) throws { try write(Array(text.utf8)) }

    private static let hex = Array("0123456789ABCDEF".utf8)

    /// RFC 2045 6.7: lines of at most 76 characters, soft breaks `=`, `=` and
    /// bytes outside printable ASCII as `=XX`, and white space before a line end encoded.
    private func qp(_ b: UInt8) throws {
        if b == 10 {
            if let last = qpLine.last, last == 32 || last == 9 {
                qpLine.removeLast()
                qpLine += [UInt8(ascii: "="), Self.hex[Int(last >> 4)], Self.hex[Int(last & 15)]]
            }
            // The escape above may have made the line too long.
            if qpLine.count > 76 {
                let tail = Array(qpLine[73...]); qpLine.removeSubrange(73...)
                try emit(soft: true); qpLine = tail
            }
            try emit(soft: false)
            return
        }
        let enc: [UInt8] = (b == UInt8(ascii: "=") || b > 126 || (b < 32 && b != 9))
            ? [UInt8(ascii: "="), Self.hex[Int(b >> 4)], Self.hex[Int(b & 15)]] : [b]
        if qpLine.count + enc.count > 75 { try emit(soft: true) }
        qpLine += enc
    }

    private func emit(soft: Bool) throws {
        if soft { qpLine.append(UInt8(ascii: "=")) }
        qpLine += eol
        try qpLine.withUnsafeBytes { try sink.write($0) }
        qpLine.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        if encoding == .quotedPrintable && !qpLine.isEmpty { try emit(soft: false) }
        try sink.flush()
    }
}

/// Writes bytes as base64 in lines of 76 characters, each followed by `\n`, to a
/// ``PageText`` (streaming: any amount in, bounded memory).
final class Base64Lines {
    private let out: PageText
    private var pending: [UInt8] = []
    private var line: [UInt8] = []
    private var text: [UInt8] = []
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    init(_ out: PageText) { self.out = out; text.reserveCapacity(1 << 16 + 1024) }

    func write(_ b: UnsafeRawBufferPointer) throws {
        var i = 0
        // Complete a 57-byte group (one line) begun earlier.
        if !pending.isEmpty {
            let take = min(57 - pending.count, b.count)
            pending.append(contentsOf: b[0..<take]); i = take
            if pending.count == 57 { pending.withUnsafeBytes { encodeLine($0) }; pending.removeAll() }
        }
        while b.count - i >= 57 {
            encodeLine(UnsafeRawBufferPointer(rebasing: b[i..<i + 57])); i += 57
            if text.count >= 1 << 16 { try flushText() }
        }
        if i < b.count { pending.append(contentsOf: b[i...]) }
        try flushText()
    }

    private func encodeLine(_ b: UnsafeRawBufferPointer) {
        let a = Self.alphabet
        var j = 0
        while j + 3 <= b.count {
            let n = UInt32(b[j]) << 16 | UInt32(b[j + 1]) << 8 | UInt32(b[j + 2])
            text.append(a[Int(n >> 18)]); text.append(a[Int(n >> 12 & 63)]); text.append(a[Int(n >> 6 & 63)]); text.append(a[Int(n & 63)])
            j += 3
        }
        if j < b.count {
            var n = UInt32(b[j]) << 16
            if j + 1 < b.count { n |= UInt32(b[j + 1]) << 8 }
            text.append(a[Int(n >> 18)]); text.append(a[Int(n >> 12 & 63)])
            text.append(j + 1 < b.count ? a[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            text.append(UInt8(ascii: "="))
        }
        text.append(10)
    }

    private func flushText() throws {
        if !text.isEmpty { try out.write(text); text.removeAll(keepingCapacity: true) }
    }

    func finish() throws {
        if !pending.isEmpty { pending.withUnsafeBytes { encodeLine($0) }; pending.removeAll() }
        try flushText()
    }
}
