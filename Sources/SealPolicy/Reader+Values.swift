import SealDetect

/// Readers for the values conditions and actions share: address patterns, text
/// and attachment matchers, unscannable kinds, size ranges, SMTP replies. Each
/// reports its problems with the node's line and column and returns nil.
extension PolicyReader {
    public func directions(_ node: PolicyNode, _ what: String) -> Set<Direction>? {
        guard let list = strings(node, what) else { return nil }
        var set = Set<Direction>()
        var ok = true
        for (s, n) in list {
            if let d = Direction(rawValue: s.lowercased()) { set.insert(d); continue }
            let valid = Direction.allCases.map(\.rawValue)
            var msg = "\(what): unknown direction '\(s)'"
            if let near = PolicyReader.closest(to: s.lowercased(), in: valid) { msg += " (did you mean '\(near)'?)" }
            fail(n, msg + "; valid: " + valid.joined(separator: ", "))
            ok = false
        }
        return ok ? set : nil
    }

    public func addressPatterns(_ node: PolicyNode, _ what: String) -> [AddressPattern]? {
        guard let list = strings(node, what) else { return nil }
        var out: [AddressPattern] = []
        for (s, n) in list {
            if let problem = PolicyReader.addressPatternProblem(s) {
                fail(n, "\(what): '\(s)' \(problem)")
            } else {
                out.append(AddressPattern(s))
            }
        }
        return out.count == list.count ? out : nil
    }

    /// Why `s` is not an address pattern (see ``AddressPattern``), or nil.
    public static func addressPatternProblem(_ s: String) -> String? {
        if s == "<>" { return nil }
        if s.contains(",") || s.contains(";") { return "holds several addresses; give one pattern per list item" }
        if s.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }) {
            return "contains spaces or control characters"
        }
        let bare = AddressPattern.normalize(s)
        if bare.isEmpty || bare.contains("<") || bare.contains(">") { return "is not an address pattern" }
        if let at = bare.lastIndex(of: "@"), bare.index(after: at) == bare.endIndex {
            return "has no domain after '@' (use user@* for any domain)"
        }
        return nil
    }

    /// Why `name` is not a header field name to write or look for, or nil.
    public static func fieldNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "empty header name" }
        if name.hasSuffix(":") { return "write the header name without the colon ('\(name.dropLast())')" }
        if !name.unicodeScalars.allSatisfy({ $0.value >= 33 && $0.value <= 126 && $0 != ":" }) {
            return "'\(name)' is not a header field name (printable ASCII without spaces or ':')"
        }
        return nil
    }

    /// `{contains: [...], matches: [...]}` (plus `extra` keys handled by the caller).
    public func textMatcher(_ node: PolicyNode, _ what: String, extra: [String]) -> (TextMatcher, PolicyNode)? {
        let silent = !extra.isEmpty  // the caller already reported key problems
        let f: Fields?
        if silent {
            let saved = errorCount
            f = fields(node, in: what, allowed: ["contains", "matches"] + extra)
            dropErrors(since: saved)
        } else {
            f = fields(node, in: what, allowed: ["contains", "matches"])
        }
        guard let f else { return nil }
        if f["contains"] == nil && f["matches"] == nil {
            if f.rejected { return nil }
            fail(node, "\(what): needs 'contains' (keywords) or 'matches' (regular expressions)"); return nil
        }
        var keywords: [(String, PolicyNode)] = []
        var patterns: [(String, PolicyNode)] = []
        if let v = f["contains"] {
            guard let k = strings(v, "\(what).contains") else { return nil }
            keywords = k
        }
        if let v = f["matches"] {
            guard let p = strings(v, "\(what).matches") else { return nil }
            patterns = p
        }
        do {
            return (try TextMatcher(keywords: keywords.map(\.0), patterns: patterns.map(\.0)), node)
        } catch let e {  // PatternError, with the index of the keyword or expression
            let list = e.isKeyword ? keywords : patterns
            let n = list.indices.contains(e.index) ? list[e.index].1 : node
            fail(n, "\(what).\(e.isKeyword ? "contains" : "matches"): \(e.description)")
            if e.isKeyword || e.index < 0 { return nil }
            // Report the other bad expressions too.
            for (p, pn) in patterns.dropFirst(e.index + 1) {
                do { _ = try TextMatcher(patterns: [p]) } catch let e2 {
                    fail(pn, "\(what).matches: \(e2.description)")
                }
            }
            return nil
        }
    }

    /// An attachment selector. With `allowUnscannable`, also the `unscannable` key (for remove_attachments).
    public func attachment(_ node: PolicyNode, _ what: String, allowUnscannable: Bool) -> (UnscannableSet?, AttachmentMatcher?)? {
        var keys = ["name", "extension", "type"]
        if allowUnscannable { keys.append("unscannable") }
        guard let f = fields(node, in: what, allowed: keys) else { return nil }
        if f.entries.isEmpty {
            if !f.rejected { fail(node, "\(what): give at least one of " + keys.joined(separator: ", ")) }
            return nil
        }
        let before = errorCount
        var names: [String] = [], exts: [String] = [], types: [String] = []
        var kinds: UnscannableSet? = nil
        if let v = f["name"], let list = strings(v, "\(what).name") {
            for (s, n) in list {
                if s.contains("/") || s.contains("\\") { fail(n, "\(what).name: '\(s)' is matched against the file name only; leave out directories") }
                names.append(s)
            }
        }
        if let v = f["extension"], let list = strings(v, "\(what).extension") {
            for (s, n) in list {
                let e = s.hasPrefix(".") ? String(s.dropFirst()) : s
                if e.isEmpty || e.hasPrefix(".") || e.hasSuffix(".") || e.contains("*") || e.contains("?") || e.contains("/")
                    || e.unicodeScalars.contains(where: { $0.value <= 0x20 }) {
                    fail(n, "\(what).extension: '\(s)' is not a file extension (write exe or tar.gz; use 'name' for globs)")
                }
                exts.append(e)
            }
        }
        if let v = f["type"], let list = strings(v, "\(what).type") {
            for (s, n) in list {
                let parts = s.split(separator: "/", omittingEmptySubsequences: false)
                let token: (Substring) -> Bool = { p in
                    !p.isEmpty && p.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7f && !"()<>@,;:\\\"/[]?=".unicodeScalars.contains($0) }
                }
                if parts.count != 2 || !token(parts[0]) || !token(parts[1])
                    || (parts[0] == "*" && parts[1] != "*") || (parts[1].contains("*") && parts[1] != "*") || parts[0].contains("*") && parts[0] != "*" {
                    fail(n, "\(what).type: '\(s)' is not a media type (write type/subtype or type/*, e.g. application/pdf, image/*)")
                }
                types.append(s)
            }
        }
        if let v = f["unscannable"] { kinds = unscannable(v, "\(what).unscannable") }
        if errorCount > before { return nil }
        let matcher = names.isEmpty && exts.isEmpty && types.isEmpty
            ? nil : AttachmentMatcher(names: names, extensions: exts, mediaTypes: types)
        return (kinds, matcher)
    }

    /// `{over: X, under: Y}` as an inclusive range `min...max` (nil: no bound).
    public func sizeRange(_ node: PolicyNode, _ what: String) -> (Int?, Int?)? {
        guard let f = fields(node, in: what, allowed: ["over", "under"]) else { return nil }
        if f.entries.isEmpty {
            if !f.rejected { fail(node, "\(what): give 'over', 'under' or both") }
            return nil
        }
        var lo: Int? = nil, hi: Int? = nil
        var ok = true
        if let v = f["over"] { if let n = size(v, "\(what).over") { lo = n + 1 } else { ok = false } }
        if let v = f["under"] {
            if let n = size(v, "\(what).under") {
                if n == 0 { fail(v, "\(what).under: no message is under 0 bytes"); ok = false } else { hi = n - 1 }
            } else { ok = false }
        }
        guard ok else { return nil }
        if let lo, let hi, lo > hi {
            let over = f["over"]?.scalar?.string ?? "", under = f["under"]?.scalar?.string ?? ""
            fail(node, "\(what): no size is over \(over) and under \(under)"); return nil
        }
        return (lo, hi)
    }

    static let allKinds = UnscannableKind.allCases.map(\.rawValue)

    /// `any`, a kind, or a list of kinds.
    public func unscannable(_ node: PolicyNode, _ what: String) -> UnscannableSet? {
        if case .scalar = node, node.scalar?.string.lowercased() == "any" {
            return UnscannableSet(kinds: UnscannableKind.allCases)
        }
        guard let list = strings(node, what) else { return nil }
        var set = UnscannableSet()
        var ok = true
        for (s, n) in list {
            let k = String(s.lowercased().map { $0 == "_" ? "-" : $0 })
            if let kind = UnscannableKind(rawValue: k) { set.insert(UnscannableSet(kind)); continue }
            ok = false
            if k == "any" {
                fail(n, "\(what): 'any' must stand alone (unscannable: any), not in a list"); continue
            }
            var msg = "\(what): unknown unscannable kind '\(s)'"
            if let near = PolicyReader.closest(to: k, in: PolicyReader.allKinds) { msg += " (did you mean '\(near)'?)" }
            fail(n, msg + "; valid kinds: any, " + PolicyReader.allKinds.joined(separator: ", "))
        }
        return ok ? set : nil
    }

    /// `text`, `true` (the defaults) or `{code, xcode, text}`; `cls` is the required first digit.
    public func reply(_ value: PolicyNode?, _ what: String, cls: Character, default def: SMTPReply) -> SMTPReply? {
        guard let d = isDefault(value, what) else { return nil }
        if d { return def }
        guard let value else { return def }
        if case .scalar = value {
            guard let t = text(value, "\(what) (the reply text)") else { return nil }
            return SMTPReply(code: def.code, extendedCode: def.extendedCode, text: t)
        }
        guard let f = fields(value, in: what, allowed: ["code", "xcode", "text"]) else { return nil }
        var r = def
        var ok = true
        let kind = cls == "5" ? "a permanent failure (5xx)" : "a temporary failure (4xx)"
        if let v = f["code"], let c = string(v, "\(what).code") {
            let digits = Array(c)
            if digits.count != 3 || !digits.allSatisfy({ $0.isASCII && $0.isNumber }) || !("0"..."5").contains(digits[1]) {
                fail(v, "\(what).code: '\(c)' is not an SMTP reply code (three digits such as \(def.code))"); ok = false
            } else if digits[0] != cls {
                fail(v, "\(what).code: must be \(kind), found \(c)"); ok = false
            } else { r.code = c }
        } else if f["code"] != nil { ok = false }
        if let v = f["xcode"], let x = string(v, "\(what).xcode") {
            let parts = x.split(separator: ".", omittingEmptySubsequences: false)
            let valid = parts.count == 3 && parts.allSatisfy { p in
                !p.isEmpty && p.count <= 3 && p.allSatisfy { $0.isASCII && $0.isNumber }
            } && parts[0].count == 1
            if !valid {
                fail(v, "\(what).xcode: '\(x)' is not an enhanced status code (class.subject.detail such as \(def.extendedCode))"); ok = false
            } else if parts[0].first != cls {
                fail(v, "\(what).xcode: must start with \(cls). for \(kind), found \(x)"); ok = false
            } else { r.extendedCode = x }
        } else if f["xcode"] != nil { ok = false }
        if let v = f["text"] {
            if let t = text(v, "\(what).text") { r.text = t } else { ok = false }
        }
        return ok ? r : nil
    }
}
