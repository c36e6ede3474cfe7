import SealMIME

/// The original message's header section: serialised into the payload, read for
/// the meta's display copies, and split off a raw message (`sealctl envelope seal`).
public enum OriginalMessage {
    /// `Name: value` lines with `eol`, the value's own folding kept (its line
    /// breaks made `eol`), then the empty line that ends the section. A value
    /// given without its leading space (as MTAs pass them) gets one.
    public static func serialize(_ fields: [(name: String, value: String)], eol: [UInt8] = [13, 10]) -> [UInt8] {
        HeaderFields.serialize(fields, eol: eol) + eol
    }

    /// The header fields of a raw message and where its body begins (after the
    /// empty line); values unfolded are not needed: they keep their line breaks.
    public static func split(_ raw: [UInt8]) -> (fields: [(name: String, value: String)], bodyOffset: Int) {
        var fields: [(name: String, value: String)] = []
        var i = 0
        while i < raw.count {
            var e = i
            while e < raw.count && raw[e] != 10 { e += 1 }
            var line = raw[i..<e]
            if line.last == 13 { line = line.dropLast() }
            let next = min(e + 1, raw.count)
            if line.isEmpty { return (fields, next) }
            if (line.first == 32 || line.first == 9), !fields.isEmpty {
                fields[fields.count - 1].value += "\n" + String(decoding: line, as: UTF8.self)
            } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                var v = line[(colon + 1)...]
                if v.first == 32 { v = v.dropFirst() }
                fields.append((String(decoding: line[line.startIndex..<colon], as: UTF8.self), String(decoding: v, as: UTF8.self)))
            } else {
                return (fields, i)  // not a header line: the body begins (no empty line)
            }
            i = next
        }
        return (fields, raw.count)
    }

    /// Fills the spec's display copies from the header fields (decoded).
    public static func describe(_ fields: [(name: String, value: String)], into spec: inout EnvelopeSpec) {
        func values(_ n: String) -> [String] {
            fields.filter { $0.name.lowercased() == n }.map { unfold(decodeEncodedWords(Array($0.value.utf8))) }
        }
        spec.from = values("from").first ?? ""
        spec.to = values("to").flatMap { addresses($0) }
        spec.cc = values("cc").flatMap { addresses($0) }
        spec.subject = values("subject").first ?? ""
        spec.date = values("date").first ?? ""
        spec.messageID = values("message-id").first ?? ""
    }

    static func unfold(_ s: String) -> String {
        var out = ""
        var space = false
        for c in s.unicodeScalars {
            if c == "\r" || c == "\n" { continue }
            if c == " " || c == "\t" { if !space && !out.isEmpty { out.append(" ") }; space = true; continue }
            space = false
            out.unicodeScalars.append(c)
        }
        while out.hasSuffix(" ") { out.removeLast() }
        return out
    }

    /// The addresses in an address-list field (display names dropped), simply:
    /// `<...>` when there is one, else the word with an `@`.
    public static func addresses(_ value: String) -> [String] {
        var out: [String] = []
        var depth = 0, quoted = false
        var current = ""
        func take() {
            let t = current
            if let l = t.lastIndex(of: "<"), let r = t.lastIndex(of: ">"), l < r {
                out.append(String(t[t.index(after: l)..<r]).trimmingCharacters())
            } else {
                let w = t.split(whereSeparator: { $0 == " " || $0 == "\t" }).first { $0.contains("@") }
                if let w { out.append(String(w)) }
            }
            current = ""
        }
        for c in value {
            if c == "\"" { quoted.toggle() }
            if !quoted { if c == "(" { depth += 1 } else if c == ")" { depth = max(0, depth - 1); continue } }
            if depth > 0 { continue }
            if c == "," && !quoted { take(); continue }
            current.append(c)
        }
        take()
        return out.filter { !$0.isEmpty }
    }
}

extension String {
    func trimmingCharacters() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
