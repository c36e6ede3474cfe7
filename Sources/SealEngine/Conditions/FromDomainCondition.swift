import SealPolicy

/// `from_domain: DOMAIN` (or a list; `example.com`, `*.example.com`): the domain
/// of an address in the header `From:` field (what the reader sees as the
/// sender, unlike the envelope sender of `sender:`). Holds when an address of
/// the first `From:` field has a matching domain; a message without a `From:`
/// address never matches.
public struct FromDomainCondition: Condition {
    public static let key = "from_domain"
    public var domains: [DomainPattern]

    public static func load(_ value: PolicyNode, _ what: String, _ reader: PolicyReader) -> [Self]? {
        guard let list = reader.strings(value, what) else { return nil }
        var out: [DomainPattern] = []
        for (s, n) in list {
            if s.contains("@") || s.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "," || $0 == "<" || $0 == ">" }) {
                reader.fail(n, "\(what): '\(s)' is not a domain (write example.com or *.example.com; for whole addresses use a header condition)")
            } else {
                out.append(DomainPattern(s))
            }
        }
        return out.count == list.count ? [Self(domains: out)] : nil
    }

    public var stage: Stage { .headers }

    /// The domains of the addresses of the first `From:` field.
    static func fromDomains(_ message: MessageFacts) -> [String] {
        guard let field = message.headers.first(where: { $0.name.lowercased() == "from" }) else { return [] }
        return HeaderAddresses.addresses(in: field.value).compactMap { a in
            guard let at = a.lastIndex(of: "@") else { return nil }
            let d = a[a.index(after: at)...]
            return d.isEmpty ? nil : String(d)
        }
    }

    public func holds(in message: MessageFacts, recipients: [String]) -> Bool {
        FromDomainCondition.fromDomains(message).contains { d in domains.contains { $0.matches(domain: d) } }
    }

    public func explain(in message: MessageFacts, recipients: [String], held: Bool) -> String? {
        let ds = FromDomainCondition.fromDomains(message)
        return ds.isEmpty ? "no address in From:" : "From: domain " + ds.joined(separator: ", ")
    }
}

/// The addresses of an address-list header field (RFC 5322 `mailbox-list`):
/// the `addr-spec` inside angle brackets, or a bare one; display names, quoted
/// strings, comments and groups are skipped.
enum HeaderAddresses {
    static func addresses(in value: String) -> [String] {
        var out: [String] = []
        var current: [Character] = []   // the mailbox's text outside quotes and comments
        var angle: [Character]? = nil    // inside <...>
        var done = false                 // after <...>: the rest of the mailbox is ignored
        var inQuote = false, depth = 0, escaped = false
        func flush() {
            var t = Substring(String(current))
            while let f = t.first, f == " " || f == "\t" { t.removeFirst() }
            while let l = t.last, l == " " || l == "\t" { t.removeLast() }
            if !done, let colon = t.lastIndex(of: ":") { t = t[t.index(after: colon)...] }  // group name
            if t.contains("@") && !t.contains(" ") { out.append(String(t)) }
            current = []; angle = nil; done = false
        }
        for c in value {
            if escaped { escaped = false; if angle != nil { angle!.append(c) }; continue }
            if c == "\\" && (inQuote || depth > 0) { escaped = true; continue }
            if inQuote {
                if c == "\"" { inQuote = false }
                if angle != nil { angle!.append(c) }
                continue
            }
            if depth > 0 { if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }; continue }
            switch c {
            case "\"": inQuote = true; if angle != nil { angle!.append(c) }
            case "(": depth = 1
            case "<": if !done { angle = [] }
            case ">": if let a = angle { current = a; angle = nil; done = true }
            case ",", ";": flush()
            case "\r", "\n": break
            default:
                if angle != nil { angle!.append(c) } else if !done { current.append(c) }
            }
        }
        flush()
        return out
    }
}
