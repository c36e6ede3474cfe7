import SealYAML

// MARK: - The reader core

/// Walks the composed YAML tree of a policy file, collecting errors with their
/// marks. The settings are read here (Reader+Settings.swift); sections that other
/// modules own (the engine's `rules:`) are read by the ``PolicySection`` they
/// register, with the same reader, so every error of a file is reported in one
/// list, in file order. The value readers (Reader+Values.swift) are what
/// condition and action loaders use to read their YAML with file/line errors.
public final class PolicyReader {
    public let file: String
    public private(set) var errors: [PolicyError] = []

    public init(file: String) { self.file = file }

    /// Errors sorted by position (file order), stable.
    var sortedErrors: [PolicyError] {
        errors.enumerated().sorted { a, b in
            let la = a.element.line ?? 0, lb = b.element.line ?? 0
            if la != lb { return la < lb }
            let ca = a.element.column ?? 0, cb = b.element.column ?? 0
            return ca != cb ? ca < cb : a.offset < b.offset
        }.map(\.element)
    }

    // MARK: Errors

    /// Reports a problem at `node` (its line and column).
    public func fail(_ node: Node?, _ message: String) {
        errors.append(PolicyError(file: file, line: node?.mark?.line, column: node?.mark?.column, message: message))
    }

    /// Reports a problem without a position.
    public func fail(message: String) {
        errors.append(PolicyError(file: file, message: message))
    }

    /// The number of errors so far (to tell whether a reading step added any).
    public var errorCount: Int { errors.count }

    /// Drops the errors reported since `count` (for a reading step whose errors the
    /// caller reports itself).
    public func dropErrors(since count: Int) {
        if errors.count > count { errors.removeSubrange(count...) }
    }

    // MARK: Node helpers

    public static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            switch PolicyReader.tagName(node) {
            case .null: return "nothing"
            case .bool: return "a boolean"
            case .int, .float: return "a number"
            default: return "the text \"\(node.scalar?.string ?? "")\""
            }
        }
    }

    public func isNull(_ node: Node) -> Bool {
        if case .scalar = node, PolicyReader.tagName(node) == .null { return true }
        return false
    }

    /// A plain scalar's text when the node is a non-null scalar.
    public static func scalarText(_ node: Node) -> String? {
        guard case let .scalar(s) = node, PolicyReader.tagName(node) != .null else { return nil }
        return s.string
    }

    /// The line of a node (0 when unknown).
    public static func line(_ node: Node?) -> Int { node?.mark?.line ?? 0 }
    /// The column of a node (0 when unknown).
    public static func column(_ node: Node?) -> Int { node?.mark?.column ?? 0 }

    /// Policy keys are written with `_` or `-`: `remove-attachments` is `remove_attachments`.
    public static func normalizeKey(_ key: String) -> String {
        String(key.map { $0 == "-" ? "_" : $0 })
    }

    /// The entries of a mapping, keys normalised (`-` read as `_`); unknown and duplicate keys
    /// are reported and dropped.
    public struct Fields {
        public var entries: [(key: String, keyNode: Node, value: Node)] = []
        /// Some keys were unknown or repeated (and reported): skip follow-on "missing key" errors.
        public var rejected = false
        public subscript(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
        public func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }
    }

    public func fields(_ node: Node, in context: String, allowed: [String],
                       hint: (String) -> String? = { _ in nil }) -> Fields? {
        guard case let .mapping(map) = node else {
            fail(node, (context.isEmpty ? "the policy" : context) + ": expected a mapping of keys, found \(PolicyReader.describe(node))")
            return nil
        }
        var f = Fields()
        var seen: [String: Int] = [:]
        let prefix = context.isEmpty ? "" : context + ": "
        for (k, v) in map {
            guard case let .scalar(ks) = k else {
                fail(k, prefix + "keys must be plain names, found \(PolicyReader.describe(k))")
                f.rejected = true
                continue
            }
            let key = PolicyReader.normalizeKey(ks.string)
            guard allowed.contains(key) else {
                var msg = prefix + "unknown key '\(ks.string)'"
                if let extra = hint(key) {
                    msg += " (\(extra))"
                } else if let near = PolicyReader.closest(to: key, in: allowed) {
                    msg += " (did you mean '\(near)'?)"
                } else {
                    msg += "; valid keys: " + allowed.joined(separator: ", ")
                }
                fail(k, msg)
                f.rejected = true
                continue
            }
            if let first = seen[key] {
                fail(k, prefix + "duplicate key '\(ks.string)' (first given at line \(first))")
                f.rejected = true
                continue
            }
            seen[key] = k.mark?.line ?? 0
            f.entries.append((key, k, v))
        }
        return f
    }

    // MARK: Scalars

    /// Any non-null scalar, as written.
    public func string(_ node: Node, _ what: String) -> String? {
        guard case let .scalar(s) = node, PolicyReader.tagName(node) != .null else {
            fail(node, "\(what): expected a string, found \(PolicyReader.describe(node))")
            return nil
        }
        return s.string
    }

    /// A non-empty string without control characters.
    public func text(_ node: Node, _ what: String, maxLength: Int = 400) -> String? {
        guard let s = string(node, what) else { return nil }
        if s.trimmingBlanks().isEmpty {
            fail(node, "\(what): must not be empty"); return nil
        }
        if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            fail(node, "\(what): must be a single line without control characters"); return nil
        }
        if s.count > maxLength {
            fail(node, "\(what): too long (\(s.count) characters, at most \(maxLength))"); return nil
        }
        return s
    }

    public func bool(_ node: Node, _ what: String) -> Bool? {
        guard case let .scalar(s) = node, PolicyReader.tagName(node) == .bool, let b = s.bool else {
            fail(node, "\(what): expected true or false, found \(PolicyReader.describe(node))")
            return nil
        }
        return b
    }

    public func integer(_ node: Node, _ what: String, min: Int = 1) -> Int? {
        guard case let .scalar(s) = node, PolicyReader.tagName(node) == .int, let n = s.int else {
            fail(node, "\(what): expected a whole number, found \(PolicyReader.describe(node))")
            return nil
        }
        if n < min { fail(node, "\(what): must be at least \(min), found \(n)"); return nil }
        return n
    }

    public func size(_ node: Node, _ what: String, min: Int = 0) -> Int? {
        guard case let .scalar(s) = node, PolicyReader.tagName(node) != .null, PolicyReader.tagName(node) != .bool,
              let n = ByteSize.parse(s.string) else {
            fail(node, "\(what): expected a size such as 512, 64K, 10M or 1G, found \(PolicyReader.describe(node))")
            return nil
        }
        if n < min { fail(node, "\(what): must be at least \(min) bytes"); return nil }
        return n
    }

    /// A string or a list of strings, each with its node; never empty.
    public func strings(_ node: Node, _ what: String) -> [(String, Node)]? {
        let items: [Node]
        switch node {
        case .scalar where isNull(node):
            fail(node, "\(what): expected a string or a list of strings, found nothing"); return nil
        case .scalar: items = [node]
        case let .sequence(seq): items = Array(seq)
        case .mapping:
            fail(node, "\(what): expected a string or a list of strings, found a mapping"); return nil
        }
        if items.isEmpty { fail(node, "\(what): the list is empty"); return nil }
        var out: [(String, Node)] = []
        var ok = true
        for item in items {
            guard case .scalar = item, !isNull(item), let s = item.scalar?.string else {
                fail(item, "\(what): expected a string, found \(PolicyReader.describe(item))")
                ok = false; continue
            }
            if s.isEmpty { fail(item, "\(what): empty string"); ok = false; continue }
            out.append((s, item))
        }
        return ok ? out : nil
    }

    /// For a value that may be left out (`- discard`): `true` or absent selects the
    /// default form (true returned); another scalar than a boolean, or a mapping,
    /// means a value was given (false returned); `false` is refused (nil).
    public func isDefault(_ value: Node?, _ what: String) -> Bool? {
        guard let value else { return true }
        guard case .scalar = value, PolicyReader.tagName(value) == .bool else { return false }
        if value.bool == true { return true }
        fail(value, "\(what): false is not meaningful here; remove the action instead")
        return nil
    }

    // MARK: Suggestions

    /// The candidate nearest to `word`, when near enough to be a likely typo.
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let w = word.lowercased()
        var best: (String, Int)? = nil
        for c in candidates {
            let d = distance(w, c.lowercased())
            if best == nil || d < best!.1 { best = (c, d) }
        }
        guard let (c, d) = best else { return nil }
        let limit = max(1, min(3, c.count / 3))
        return d <= limit ? c : nil
    }

    /// Levenshtein distance.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
}
