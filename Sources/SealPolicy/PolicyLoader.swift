import Foundation
import SealDetect
import Yams

/// A policy file that cannot be used: where, and what is wrong.
public struct PolicyError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String
    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file; self.line = line; self.column = column; self.message = message
    }
    /// `file:line:column: message`, as compilers print it.
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s + ": " + message
    }
}

extension Policy {
    /// Loads and validates a policy file.
    public static func load(path: String) throws(PolicyError) -> Policy {
        let text = try read(path: path)
        return try parse(yaml: text, file: path)
    }

    /// Parses and validates policy text. `file` names it in errors.
    /// Throws the first error in file order; ``diagnose(yaml:file:)`` lists them all.
    public static func parse(yaml: String, file: String = "<policy>") throws(PolicyError) -> Policy {
        let (policy, errors) = PolicyReader.read(yaml: yaml, file: file)
        if let first = errors.first { throw first }
        guard let policy else { throw PolicyError(file: file, message: "the policy could not be read") }
        return policy
    }

    /// Every problem of the policy text, in file order (empty when it is valid).
    /// For `sealctl check-config`, which reports them all like a compiler.
    public static func diagnose(yaml: String, file: String = "<policy>") -> [PolicyError] {
        PolicyReader.read(yaml: yaml, file: file).1
    }

    /// Every problem of the policy file, in file order (empty when it is valid).
    public static func diagnose(path: String) -> [PolicyError] {
        do {
            return diagnose(yaml: try read(path: path), file: path)
        } catch {
            return [error]
        }
    }

    private static func read(path: String) throws(PolicyError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyError(file: path, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyError(file: path, message: "not UTF-8 text")
        }
        return text
    }
}

/// Byte sizes in policy files: a number of bytes or a number with `K`, `M` or `G` (powers of 1024).
public enum ByteSize {
    /// `10`, `10K`, `5M`, `1G` (suffix case-insensitive); nil when malformed, negative or too large.
    public static func parse(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        var factor = 1
        switch digits.last {
        case "k", "K": factor = 1 << 10
        case "m", "M": factor = 1 << 20
        case "g", "G": factor = 1 << 30
        default: break
        }
        if factor != 1 { digits.removeLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else { return nil }
        let (r, overflow) = n.multipliedReportingOverflow(by: factor)
        return overflow ? nil : r
    }
}

// MARK: - The reader

/// Walks the composed YAML tree, building the model and collecting errors with their marks.
final class PolicyReader {
    let file: String
    var errors: [PolicyError] = []

    init(file: String) { self.file = file }

    static func read(yaml: String, file: String) -> (Policy?, [PolicyError]) {
        let r = PolicyReader(file: file)
        let root: Node?
        do {
            root = try compose(yaml: yaml)
        } catch {
            return (nil, [r.yamlError(error, yaml: yaml)])
        }
        var policy = Policy()
        policy.source = file
        if let root { r.policy(root, into: &policy) }
        let sorted = r.errors.enumerated().sorted { a, b in
            let la = a.element.line ?? 0, lb = b.element.line ?? 0
            if la != lb { return la < lb }
            let ca = a.element.column ?? 0, cb = b.element.column ?? 0
            return ca != cb ? ca < cb : a.offset < b.offset
        }.map(\.element)
        return (sorted.isEmpty ? policy : nil, sorted)
    }

    // MARK: Errors

    func fail(_ node: Node?, _ message: String) {
        errors.append(PolicyError(file: file, line: node?.mark?.line, column: node?.mark?.column, message: message))
    }

    func yamlError(_ error: any Error, yaml: String) -> PolicyError {
        guard let e = error as? YamlError else {
            return PolicyError(file: file, message: "YAML error: \(error)")
        }
        func make(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> PolicyError {
            var msg = "YAML syntax error: \(problem)"
            if let context { msg += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            if problem.contains("cannot start any token") && PolicyReader.character(in: yaml, at: mark) == "\t" {
                msg += "; tabs are not allowed for indentation, use spaces"
            }
            return PolicyError(file: file, line: mark.line, column: mark.column, message: msg)
        }
        switch e {
        case let .scanner(context, problem, mark, _): return make(problem, context, mark)
        case let .parser(context, problem, mark, _): return make(problem, context, mark)
        case let .composer(context, problem, mark, _): return make(problem, context, mark)
        case let .reader(problem, offset, _, _):
            var line: Int? = nil, column: Int? = nil
            if let offset {
                var l = 1, c = 1
                for ch in yaml.prefix(offset) {
                    if ch == "\n" || ch == "\r\n" { l += 1; c = 1 } else { c += 1 }
                }
                line = l; column = c
            }
            return PolicyError(file: file, line: line, column: column, message: "YAML error: \(problem)")
        default:
            return PolicyError(file: file, message: "YAML error: \(e)")
        }
    }

    static func character(in text: String, at mark: Mark) -> Character? {
        var lineNo = 1
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if lineNo == mark.line {
                let scalars = line.unicodeScalars
                guard mark.column >= 1, mark.column <= scalars.count else { return nil }
                return Character(scalars[scalars.index(scalars.startIndex, offsetBy: mark.column - 1)])
            }
            lineNo += 1
        }
        return nil
    }

    // MARK: Node helpers

    /// The resolved tag (`str`, `int`, `bool`, `null`, ...) of a node.
    static func tagName(_ node: Node) -> Tag.Name {
        Resolver.default.resolveTag(of: node)
    }

    static func describe(_ node: Node) -> String {
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

    func isNull(_ node: Node) -> Bool {
        if case .scalar = node, PolicyReader.tagName(node) == .null { return true }
        return false
    }

    /// The entries of a mapping, keys normalised (`-` read as `_`); unknown and duplicate keys
    /// are reported and dropped.
    struct Fields {
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        /// Some keys were unknown or repeated (and reported): skip follow-on "missing key" errors.
        var rejected = false
        subscript(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
        func keyNode(_ key: String) -> Node? { entries.first { $0.key == key }?.keyNode }
    }

    func fields(_ node: Node, in context: String, allowed: [String],
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
            let key = ks.string.replacingOccurrences(of: "-", with: "_")
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

    /// Any non-null scalar, as written.
    func string(_ node: Node, _ what: String) -> String? {
        guard case let .scalar(s) = node, PolicyReader.tagName(node) != .null else {
            fail(node, "\(what): expected a string, found \(PolicyReader.describe(node))")
            return nil
        }
        return s.string
    }

    /// A non-empty string without control characters.
    func text(_ node: Node, _ what: String, maxLength: Int = 400) -> String? {
        guard let s = string(node, what) else { return nil }
        if s.trimmingCharacters(in: .whitespaces).isEmpty {
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

    func bool(_ node: Node, _ what: String) -> Bool? {
        guard case let .scalar(s) = node, PolicyReader.tagName(node) == .bool, let b = Bool.construct(from: s) else {
            fail(node, "\(what): expected true or false, found \(PolicyReader.describe(node))")
            return nil
        }
        return b
    }

    func integer(_ node: Node, _ what: String, min: Int = 1) -> Int? {
        guard case let .scalar(s) = node, PolicyReader.tagName(node) == .int, let n = Int.construct(from: s) else {
            fail(node, "\(what): expected a whole number, found \(PolicyReader.describe(node))")
            return nil
        }
        if n < min { fail(node, "\(what): must be at least \(min), found \(n)"); return nil }
        return n
    }

    func size(_ node: Node, _ what: String, min: Int = 0) -> Int? {
        guard case let .scalar(s) = node, PolicyReader.tagName(node) != .null, PolicyReader.tagName(node) != .bool,
              let n = ByteSize.parse(s.string) else {
            fail(node, "\(what): expected a size such as 512, 64K, 10M or 1G, found \(PolicyReader.describe(node))")
            return nil
        }
        if n < min { fail(node, "\(what): must be at least \(min) bytes"); return nil }
        return n
    }

    /// A string or a list of strings, each with its node; never empty.
    func strings(_ node: Node, _ what: String) -> [(String, Node)]? {
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

    // MARK: Top level

    static let topKeys = ["internal_domains", "flag_unscannable", "limits", "spool", "milter", "keys", "rules"]

    func policy(_ root: Node, into p: inout Policy) {
        if isNull(root) { return }
        guard let f = fields(root, in: "", allowed: PolicyReader.topKeys, hint: { key in
            if PolicyReader.conditionKeys.contains(key) || PolicyReader.ruleKeys.contains(key) {
                return "rules go in a list under 'rules:'"
            }
            return nil
        }) else { return }
        for (key, keyNode, v) in f.entries {
            switch key {
            case "internal_domains":
                if isNull(v) { continue }
                if let list = strings(v, "internal_domains") {
                    p.internalDomains = list.compactMap { domain($0.0, $0.1) }
                }
            case "flag_unscannable":
                if let b = bool(v, "flag_unscannable") { p.flagUnscannable = b }
            case "limits": if !isNull(v) { limits(v, into: &p.limits) }
            case "spool": if !isNull(v) { spool(v, into: &p.spool) }
            case "milter": if !isNull(v) { milter(v, into: &p.milter) }
            case "keys": if !isNull(v) { p.keys = keys(v) }
            case "rules": p.rules = rules(v, keyNode)
            default: break
            }
        }
    }

    func domain(_ s: String, _ node: Node) -> DomainPattern? {
        var d = s
        if d.hasPrefix("@") { d.removeFirst() }
        if d.contains("@") {
            fail(node, "internal_domains: '\(s)' is an address; give a domain such as example.com or *.example.com")
            return nil
        }
        if d.isEmpty || d.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "," || $0 == "/" || $0 == "\\" }) {
            fail(node, "internal_domains: '\(s)' is not a domain (one domain per list item)")
            return nil
        }
        return DomainPattern(d)
    }

    func limits(_ node: Node, into l: inout Limits) {
        let keys = ["max_depth", "max_header_bytes", "max_headers", "max_parts", "max_inspect_bytes"]
        guard let f = fields(node, in: "limits", allowed: keys) else { return }
        for (key, _, v) in f.entries {
            switch key {
            case "max_depth": if let n = integer(v, "limits.max_depth") { l.maxDepth = n }
            case "max_headers": if let n = integer(v, "limits.max_headers") { l.maxHeaders = n }
            case "max_parts": if let n = integer(v, "limits.max_parts") { l.maxParts = n }
            case "max_header_bytes": if let n = size(v, "limits.max_header_bytes", min: 1) { l.maxHeaderBytes = n }
            case "max_inspect_bytes": if let n = size(v, "limits.max_inspect_bytes", min: 1) { l.maxInspectBytes = n }
            default: break
            }
        }
    }

    func spool(_ node: Node, into s: inout SpoolSettings) {
        guard let f = fields(node, in: "spool", allowed: ["memory_limit", "directory"]) else { return }
        if let v = f["memory_limit"], let n = size(v, "spool.memory_limit") { s.memoryLimit = n }
        if let v = f["directory"], let d = text(v, "spool.directory", maxLength: 4096) {
            if d.hasPrefix("/") { s.directory = d } else {
                fail(v, "spool.directory: must be an absolute path, found '\(d)'")
            }
        }
    }

    func milter(_ node: Node, into m: inout MilterSettings) {
        guard let f = fields(node, in: "milter", allowed: ["socket", "metrics_listen", "macros"]) else { return }
        if let v = f["macros"], let s = text(v, "milter.macros") {
            if let request = MacroRequest(rawValue: s) { m.macros = request } else {
                fail(v, "milter.macros: expected needed or all, found '\(s)'")
            }
        }
        if let v = f["socket"], let s = text(v, "milter.socket", maxLength: 4096) {
            if let problem = PolicyReader.socketProblem(s) { fail(v, "milter.socket: \(problem)") } else { m.socket = s }
        }
        if let v = f["metrics_listen"], let s = text(v, "milter.metrics_listen", maxLength: 300) {
            if PolicyReader.port(afterLastColonOf: s) == nil {
                fail(v, "milter.metrics_listen: expected host:port such as 127.0.0.1:9125 or [::1]:9125, found '\(s)'")
            } else {
                m.metricsListen = s
            }
        }
    }

    /// `keys:` — a mapping of names to absolute paths of key or secret files.
    func keys(_ node: Node) -> [KeyFile] {
        guard case let .mapping(map) = node else {
            fail(node, "keys: expected a mapping of names to file paths, found \(PolicyReader.describe(node))")
            return []
        }
        var out: [KeyFile] = []
        var seen: [String: Int] = [:]
        for (k, v) in map {
            guard case let .scalar(ks) = k, PolicyReader.tagName(k) != .null else {
                fail(k, "keys: names must be plain words, found \(PolicyReader.describe(k))"); continue
            }
            let name = ks.string
            if name.isEmpty || !name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == ".") }) {
                fail(k, "keys: '\(name)' is not a key name (letters, digits, '-', '_' and '.')"); continue
            }
            if let first = seen[name] {
                fail(k, "keys: duplicate key name '\(name)' (first given at line \(first))"); continue
            }
            seen[name] = k.mark?.line ?? 0
            guard let path = text(v, "keys.\(name)", maxLength: 4096) else { continue }
            guard path.hasPrefix("/") else {
                fail(v, "keys.\(name): must be an absolute path, found '\(path)'"); continue
            }
            out.append(KeyFile(name: name, path: path, line: v.mark?.line ?? 0, column: v.mark?.column ?? 0))
        }
        return out
    }

    /// libmilter socket forms: `unix:/path`, `local:/path`, `/path`, `inet:port@host`, `inet6:port@host`.
    static func socketProblem(_ s: String) -> String? {
        let form = "expected unix:/path, local:/path, inet:port@host or inet6:port@host, found '\(s)'"
        if s.hasPrefix("/") { return nil }
        guard let colon = s.firstIndex(of: ":") else { return form }
        let kind = s[..<colon].lowercased(), rest = s[s.index(after: colon)...]
        switch kind {
        case "unix", "local":
            return rest.hasPrefix("/") ? nil : "the socket path must be absolute, found '\(s)'"
        case "inet", "inet6":
            let parts = rest.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
            guard let p = Int(parts[0]), (1...65535).contains(p) else {
                return "expected a port number 1-65535 in '\(s)' (inet:port@host)"
            }
            if parts.count == 2 && parts[1].isEmpty { return "missing host after '@' in '\(s)'" }
            return nil
        default:
            return form
        }
    }

    static func port(afterLastColonOf s: String) -> Int? {
        guard let colon = s.lastIndex(of: ":") else { return nil }
        guard let p = Int(s[s.index(after: colon)...]), (1...65535).contains(p) else { return nil }
        return p
    }

    // MARK: Rules

    static let ruleKeys = ["name", "when", "unless", "actions", "stop"]
    static let conditionKeys = ["direction", "sender", "recipient", "header", "subject", "body",
                                "attachment", "size", "unscannable", "limits_exceeded"]
    static let actionKeys = ["add_header", "reject", "tempfail", "quarantine", "discard",
                             "reject_recipient", "remove_attachments"]

    func rules(_ node: Node, _ keyNode: Node) -> [Rule] {
        if isNull(node) { return [] }
        guard case let .sequence(seq) = node else {
            fail(node, "rules: expected a list of rules (items starting with '- name:'), found \(PolicyReader.describe(node))")
            return []
        }
        var out: [Rule] = []
        var names: [String: Int] = [:]
        for (i, item) in seq.enumerated() {
            let (rule, name, nameNode) = self.rule(item, number: i + 1)
            if let name {
                let folded = name.lowercased()
                if let first = names[folded] {
                    fail(nameNode, "duplicate rule name '\(name)' (first used at line \(first))")
                    continue
                }
                names[folded] = nameNode.mark?.line ?? 0
            }
            if let rule { out.append(rule) }
        }
        return out
    }

    /// The rule (nil when it has errors), its name when it has a usable one, and the node naming it.
    func rule(_ node: Node, number: Int) -> (Rule?, String?, Node) {
        // Name the rule in messages about its keys when it has a plain name.
        var where_ = "rule #\(number)"
        if let n = node.mapping?["name"]?.scalar?.string, !n.isEmpty, n.count <= 100,
           !n.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            where_ = "rule '\(n)'"
        }
        let errorsBefore = errors.count
        guard let f = fields(node, in: where_, allowed: PolicyReader.ruleKeys, hint: { key in
            if PolicyReader.conditionKeys.contains(key) { return "conditions go under 'when:'" }
            if PolicyReader.actionKeys.contains(key) { return "actions go in the list under 'actions:'" }
            return nil
        }) else { return (nil, nil, node) }

        var name = "rule #\(number)"
        var validName: String? = nil
        var nameNode = node
        if let v = f["name"] {
            nameNode = v
            if let s = text(v, "rule #\(number): name", maxLength: 100) { name = s; validName = s }
        } else {
            fail(node, "rule #\(number) has no 'name'")
        }
        let ctx = validName.map { "rule '\($0)'" } ?? "rule #\(number)"

        var conditions: [(Condition, Node)] = []
        if let v = f["when"] { conditions = self.conditions(v, in: "\(ctx): when") ?? [] }
        var exceptions: [(Condition, Node)] = []
        if let v = f["unless"] { exceptions = self.conditions(v, in: "\(ctx): unless") ?? [] }

        var stop = false
        if let v = f["stop"], let b = bool(v, "\(ctx): stop") { stop = b }

        var actions: [(Action, Node)] = []
        if let v = f["actions"] {
            // Keys, not parsed conditions: a broken `attachment` condition still selects parts.
            var whenKeys = Set<String>()
            if let map = f["when"]?.mapping {
                for k in map.keys { if let s = k.scalar?.string { whenKeys.insert(s.replacingOccurrences(of: "-", with: "_")) } }
            }
            actions = self.actions(v, in: ctx, rule: name, whenKeys: whenKeys)
        } else {
            fail(nameNode, "\(ctx) has no 'actions'; a rule needs at least one action")
        }

        checkActions(actions, conditions: conditions, exceptions: exceptions, ctx: ctx)

        if errors.count > errorsBefore { return (nil, validName, nameNode) }
        let rule = Rule(name: name, conditions: conditions.map(\.0), exceptions: exceptions.map(\.0),
                        actions: actions.map(\.0), stop: stop, line: node.mark?.line ?? 0)
        return (rule, validName, nameNode)
    }

    /// Checks that need the whole rule.
    func checkActions(_ actions: [(Action, Node)], conditions: [(Condition, Node)],
                      exceptions: [(Condition, Node)], ctx: String) {
        // One disposition per rule.
        var disposition: (Action, Node)? = nil
        for (a, n) in actions {
            switch a {
            case .reject, .tempfail, .discard, .quarantine, .rejectRecipient:
                if let (d, dn) = disposition {
                    fail(n, "\(ctx): '\(a.key)' conflicts with '\(d.key)' at line \(dn.mark?.line ?? 0); a rule can have only one of reject, tempfail, discard, quarantine, reject_recipient")
                } else {
                    disposition = (a, n)
                }
            default: break
            }
        }
        // reject_recipient: per recipient, at RCPT, so the envelope only.
        guard let rrNode = actions.first(where: { $0.0.key == "reject_recipient" })?.1 else { return }
        for (a, n) in actions {
            switch a {
            case .addHeader, .removeAttachments:
                fail(n, "\(ctx): '\(a.key)' cannot be combined with 'reject_recipient' (line \(rrNode.mark?.line ?? 0)), which refuses single recipients at RCPT before there is a message; use a separate rule")
            default: break
            }
        }
        for (c, n) in conditions + exceptions where !c.isEnvelopeOnly {
            fail(n, "\(ctx): condition '\(c.key)' is not allowed in a rule with reject_recipient, which is decided at RCPT; only direction, sender and recipient are known then")
        }
    }

    // MARK: Conditions

    func conditions(_ node: Node, in ctx: String) -> [(Condition, Node)]? {
        if isNull(node) || node.mapping?.isEmpty == true {
            fail(node, "\(ctx): is empty; remove it, or give at least one condition")
            return nil
        }
        guard let f = fields(node, in: ctx, allowed: PolicyReader.conditionKeys, hint: { key in
            PolicyReader.actionKeys.contains(key) ? "actions go in the list under 'actions:'" : nil
        }) else { return nil }
        var out: [(Condition, Node)] = []
        for (key, keyNode, v) in f.entries {
            let what = "\(ctx).\(key)"
            switch key {
            case "direction":
                if let d = directions(v, what) { out.append((.direction(d), keyNode)) }
            case "sender":
                if let p = addressPatterns(v, what) { out.append((.sender(p), keyNode)) }
            case "recipient":
                if let p = addressPatterns(v, what) { out.append((.recipient(p), keyNode)) }
            case "header":
                if case let .sequence(seq) = v, !seq.isEmpty {
                    for item in seq { if let h = header(item, what) { out.append((h, keyNode)) } }
                } else if let h = header(v, what) {
                    out.append((h, keyNode))
                }
            case "subject":
                if let m = textMatcher(v, what, extra: []) { out.append((.subject(m.0), keyNode)) }
            case "body":
                if let m = textMatcher(v, what, extra: []) { out.append((.body(m.0), keyNode)) }
            case "attachment":
                if let a = attachment(v, what, allowUnscannable: false), let m = a.1 { out.append((.attachment(m), keyNode)) }
            case "size":
                if let s = sizeRange(v, what) { out.append((.size(min: s.0, max: s.1), keyNode)) }
            case "unscannable":
                if let s = unscannable(v, what) { out.append((.unscannable(s), keyNode)) }
            case "limits_exceeded":
                if let b = bool(v, what) { out.append((.limitsExceeded(b), keyNode)) }
            default: break
            }
        }
        return out
    }

    func directions(_ node: Node, _ what: String) -> Set<Direction>? {
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

    func addressPatterns(_ node: Node, _ what: String) -> [AddressPattern]? {
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

    static func addressPatternProblem(_ s: String) -> String? {
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

    func header(_ node: Node, _ what: String) -> Condition? {
        guard let f = fields(node, in: what, allowed: ["name", "contains", "matches"]) else { return nil }
        guard let nameNode = f["name"] else {
            if !f.rejected { fail(node, "\(what): needs 'name', the header field to look at") }
            return nil
        }
        let name = string(nameNode, "\(what).name")
        if let name, let problem = PolicyReader.fieldNameProblem(name) { fail(nameNode, "\(what).name: \(problem)") }
        guard let m = textMatcher(node, what, extra: ["name"]), let name,
              PolicyReader.fieldNameProblem(name) == nil else { return nil }
        return .header(name: name, m.0)
    }

    static func fieldNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "empty header name" }
        if name.hasSuffix(":") { return "write the header name without the colon ('\(name.dropLast())')" }
        if !name.unicodeScalars.allSatisfy({ $0.value >= 33 && $0.value <= 126 && $0 != ":" }) {
            return "'\(name)' is not a header field name (printable ASCII without spaces or ':')"
        }
        return nil
    }

    /// `{contains: [...], matches: [...]}` (plus `extra` keys handled by the caller).
    func textMatcher(_ node: Node, _ what: String, extra: [String]) -> (TextMatcher, Node)? {
        let silent = !extra.isEmpty  // the caller already reported key problems
        let f: Fields?
        if silent {
            let saved = errors.count
            f = fields(node, in: what, allowed: ["contains", "matches"] + extra)
            errors.removeSubrange(saved...)
        } else {
            f = fields(node, in: what, allowed: ["contains", "matches"])
        }
        guard let f else { return nil }
        if f["contains"] == nil && f["matches"] == nil {
            if f.rejected { return nil }
            fail(node, "\(what): needs 'contains' (keywords) or 'matches' (regular expressions)"); return nil
        }
        var keywords: [(String, Node)] = []
        var patterns: [(String, Node)] = []
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
    func attachment(_ node: Node, _ what: String, allowUnscannable: Bool) -> (UnscannableSet?, AttachmentMatcher?)? {
        var keys = ["name", "extension", "type"]
        if allowUnscannable { keys.append("unscannable") }
        guard let f = fields(node, in: what, allowed: keys) else { return nil }
        if f.entries.isEmpty {
            if !f.rejected { fail(node, "\(what): give at least one of " + keys.joined(separator: ", ")) }
            return nil
        }
        let before = errors.count
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
        if errors.count > before { return nil }
        let matcher = names.isEmpty && exts.isEmpty && types.isEmpty
            ? nil : AttachmentMatcher(names: names, extensions: exts, mediaTypes: types)
        return (kinds, matcher)
    }

    func sizeRange(_ node: Node, _ what: String) -> (Int?, Int?)? {
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
    func unscannable(_ node: Node, _ what: String) -> UnscannableSet? {
        if case .scalar = node, node.scalar?.string.lowercased() == "any" {
            return UnscannableSet(kinds: UnscannableKind.allCases)
        }
        guard let list = strings(node, what) else { return nil }
        var set = UnscannableSet()
        var ok = true
        for (s, n) in list {
            let k = s.lowercased().replacingOccurrences(of: "_", with: "-")
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

    // MARK: Actions

    func actions(_ node: Node, in ctx: String, rule: String, whenKeys: Set<String>) -> [(Action, Node)] {
        guard case let .sequence(seq) = node else {
            fail(node, "\(ctx): actions: expected a list (items starting with '- '), found \(PolicyReader.describe(node))")
            return []
        }
        if seq.isEmpty { fail(node, "\(ctx): actions: the list is empty; a rule needs at least one action"); return [] }
        var out: [(Action, Node)] = []
        for item in seq {
            let key: String, keyNode: Node, value: Node?
            switch item {
            case let .scalar(s) where !isNull(item):
                // Shorthand: `- discard` is `- discard: true`.
                key = s.string.replacingOccurrences(of: "-", with: "_"); keyNode = item; value = nil
                if !PolicyReader.actionKeys.contains(key) { unknownAction(s.string, item, ctx); continue }
                if key == "add_header" { fail(item, "\(ctx): add_header needs {name: ..., value: ...}"); continue }
            case let .mapping(map):
                if map.count != 1 {
                    fail(item, "\(ctx): each action is one key (found \(map.count)); write every action as its own '- ' item")
                    continue
                }
                let (k, v) = map[map.startIndex]
                guard case let .scalar(ks) = k else { fail(k, "\(ctx): action names must be plain names"); continue }
                key = ks.string.replacingOccurrences(of: "-", with: "_"); keyNode = k; value = v
                if !PolicyReader.actionKeys.contains(key) { unknownAction(ks.string, k, ctx); continue }
            default:
                fail(item, "\(ctx): expected an action such as '- reject: text', found \(PolicyReader.describe(item))")
                continue
            }
            if let a = action(key, value, keyNode, ctx: ctx, rule: rule, whenKeys: whenKeys) {
                out.append((a, keyNode))
            }
        }
        return out
    }

    func unknownAction(_ name: String, _ node: Node, _ ctx: String) {
        var msg = "\(ctx): unknown action '\(name)'"
        let key = name.replacingOccurrences(of: "-", with: "_")
        if PolicyReader.conditionKeys.contains(key) {
            msg += " (conditions go under 'when:')"
        } else if let near = PolicyReader.closest(to: key, in: PolicyReader.actionKeys) {
            msg += " (did you mean '\(near)'?)"
        } else {
            msg += "; valid actions: " + PolicyReader.actionKeys.joined(separator: ", ")
        }
        fail(node, msg)
    }

    /// `true` or absent (shorthand) selects the action's default form; `false` is refused.
    func isDefault(_ value: Node?, _ what: String) -> Bool? {
        guard let value else { return true }
        guard case .scalar = value, PolicyReader.tagName(value) == .bool else { return false }
        if value.bool == true { return true }
        fail(value, "\(what): false is not meaningful here; remove the action instead")
        return nil
    }

    func action(_ key: String, _ value: Node?, _ keyNode: Node, ctx: String, rule: String,
                whenKeys: Set<String>) -> Action? {
        let what = "\(ctx): \(key)"
        switch key {
        case "add_header":
            guard let value, let f = fields(value, in: what, allowed: ["name", "value"]) else { return nil }
            guard let nv = f["name"], let vv = f["value"] else {
                if f.rejected { return nil }
                fail(value, "\(what): needs both 'name' and 'value'"); return nil
            }
            let name = string(nv, "\(what).name")
            if let name, let problem = PolicyReader.fieldNameProblem(name) {
                fail(nv, "\(what).name: \(problem)"); return nil
            }
            if let name, name.lowercased().hasPrefix("x-sealmilter-") {
                fail(nv, "\(what).name: header names starting with X-Sealmilter- are reserved for the filter itself"); return nil
            }
            guard let name, let text = string(vv, "\(what).value") else { return nil }
            if text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7f }) {
                fail(vv, "\(what).value: must be one line without control characters"); return nil
            }
            if name.count + 2 + text.utf8.count > 998 {
                fail(vv, "\(what).value: too long for a header line (at most 998 bytes)"); return nil
            }
            return .addHeader(name: name, value: text)
        case "reject":
            return reply(value, what, cls: "5", default: SMTPReply(code: "550", extendedCode: "5.7.1", text: "Message rejected by policy")).map { .reject($0) }
        case "tempfail":
            return reply(value, what, cls: "4", default: SMTPReply(code: "451", extendedCode: "4.7.1", text: "Message deferred by policy, try again later")).map { .tempfail($0) }
        case "reject_recipient":
            return reply(value, what, cls: "5", default: SMTPReply(code: "550", extendedCode: "5.7.1", text: "Recipient rejected by policy")).map { .rejectRecipient($0) }
        case "quarantine":
            guard let d = isDefault(value, what) else { return nil }
            if d { return .quarantine("sealmilter rule \(rule)") }  // documented in sealmilter.yaml(5)
            guard let value, let reason = text(value, "\(what) (the reason)") else { return nil }
            return .quarantine(reason)
        case "discard":
            guard let d = isDefault(value, what) else { return nil }
            if !d { fail(value, "\(what): write 'discard: true'"); return nil }
            return .discard
        case "remove_attachments":
            guard let d = isDefault(value, what) else { return nil }
            if d {
                if !whenKeys.contains("attachment") && !whenKeys.contains("unscannable") {
                    fail(keyNode, "\(what): nothing to remove; 'remove_attachments: true' removes the parts matched by the rule's 'attachment' or 'unscannable' condition, and this rule has neither; give a selector such as {extension: [exe]} or {unscannable: any}")
                    return nil
                }
                return .removeAttachments(nil)
            }
            guard let value else { return nil }
            guard let (kinds, matcher) = attachment(value, what, allowUnscannable: true) else { return nil }
            return .removeAttachments(PartSelector(unscannable: kinds, attachment: matcher))
        default:
            return nil
        }
    }

    /// `text`, `true` (the defaults) or `{code, xcode, text}`; `cls` is the required first digit.
    func reply(_ value: Node?, _ what: String, cls: Character, default def: SMTPReply) -> SMTPReply? {
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

    // MARK: Suggestions

    /// The candidate nearest to `word`, when near enough to be a likely typo.
    static func closest(to word: String, in candidates: [String]) -> String? {
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
