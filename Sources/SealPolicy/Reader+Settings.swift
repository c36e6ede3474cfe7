#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SealYAML

/// A top-level section of the policy file that another module reads (the engine's
/// `rules:`), with the keys that belong inside it (for the hint when one of them
/// is written at the top level by mistake).
public struct PolicySection {
    public var key: String
    /// Keys that belong inside this section, and the hint shown when one of them is
    /// found at the top level.
    public var innerKeys: Set<String>
    public var misplacedHint: String
    /// Reads the section's value (called in file order, with the section's key node).
    public var read: (PolicyReader, _ keyNode: PolicyNode, _ value: PolicyNode) -> Void

    public init(key: String, innerKeys: Set<String>, misplacedHint: String,
                read: @escaping (PolicyReader, PolicyNode, PolicyNode) -> Void) {
        self.key = key; self.innerKeys = innerKeys; self.misplacedHint = misplacedHint; self.read = read
    }
}

extension PolicyReader {
    static let settingsKeys = ["internal_domains", "flag_unscannable", "limits", "spool", "milter", "keys", "submission"]

    /// Reads policy text: the settings here, each of `sections` by its reader.
    /// Returns the settings (nil when there is any error) and every error, in file order.
    public static func read(yaml: String, file: String, sections: [PolicySection]) -> (PolicySettings?, [PolicyError]) {
        let root: PolicyNode?
        switch tree(yaml, file: file) {
        case .failure(let e): return (nil, [e])
        case .success(let r): root = r
        }
        let r = PolicyReader(file: file)
        var settings = PolicySettings()
        settings.source = file
        if let root { r.top(root, into: &settings, sections: sections) }
        let sorted = r.sortedErrors
        return (sorted.isEmpty ? settings : nil, sorted)
    }

    /// Reads a policy file's text: the file as UTF-8, or an error naming it. A
    /// file larger than a policy may be (SealYAML's size limit) is refused before
    /// it is read into memory.
    public static func readFile(path: String) throws(PolicyError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw PolicyError(file: path, message: "cannot read the file: " + String(cString: strerror(errno)))
        }
        defer { close(fd) }
        let limit = SealYAML.Limits.default.maxBytes
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, Int(st.st_size) > limit {
            throw PolicyError(file: path, message: "YAML error: the document is larger than \(limit >> 20) MiB (\(st.st_size) bytes)")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw PolicyError(file: path, message: "cannot read the file: " + String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[..<n])
            if bytes.count > limit {  // not a regular file, or it grew
                throw PolicyError(file: path, message: "YAML error: the document is larger than \(limit >> 20) MiB")
            }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PolicyError(file: path, message: "not UTF-8 text")
        }
        return text
    }

    func top(_ root: PolicyNode, into p: inout PolicySettings, sections: [PolicySection]) {
        if isNull(root) { return }
        let allowed = PolicyReader.settingsKeys + sections.map(\.key)
        guard let f = fields(root, in: "", allowed: allowed, hint: { key in
            sections.first { $0.innerKeys.contains(key) }?.misplacedHint
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
            case "limits": if !isNull(v) { limits(v, into: &p.limits, &p.evaluation) }
            case "spool": if !isNull(v) { spool(v, into: &p.spool) }
            case "milter": if !isNull(v) { milter(v, into: &p.milter) }
            case "keys": if !isNull(v) { p.keys = keys(v) }
            case "submission":
                if !isNull(v), var sub = submission(v) {
                    sub.line = PolicyReader.line(keyNode)
                    p.submission = sub
                }
            default:
                sections.first { $0.key == key }?.read(self, keyNode, v)
            }
        }
        // The marker key must be one of `keys:` (wherever that section is written),
        // so that the key-file checks cover it.
        if let sub = p.submission, let node = f["submission"], !sub.markerKey.isEmpty,
           !p.keys.contains(where: { $0.name == sub.markerKey }) {
            let markerNode = node.mapping?["marker_key"] ?? node
            fail(markerNode, "submission.marker_key: '\(sub.markerKey)' is not a key of the 'keys:' section"
                 + (p.keys.isEmpty ? " (there is none; add e.g. 'keys: {\(sub.markerKey): /etc/sealmilter/\(sub.markerKey).key}')" : " (keys: \(p.keys.map(\.name).joined(separator: ", ")))"))
        }
    }

    /// `submission:` — how versions for other recipient groups and the filter's own messages go out.
    func submission(_ node: PolicyNode) -> SubmissionSettings? {
        let keys = ["method", "host", "port", "sendmail", "timeout", "marker_key", "marker_max_age",
                    "notice_sender", "notice_from", "rcpt_deferral", "deferral_text"]
        guard let f = fields(node, in: "submission", allowed: keys) else { return nil }
        let before = errorCount
        var s = SubmissionSettings()
        if let v = f["method"], let m = text(v, "submission.method") {
            if let method = SubmissionSettings.Method(rawValue: m) { s.method = method } else {
                fail(v, "submission.method: expected smtp or sendmail, found '\(m)'")
            }
        }
        if let v = f["host"], let h = text(v, "submission.host", maxLength: 255) {
            if h.isEmpty || h.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "/" }) {
                fail(v, "submission.host: expected a host name or address such as 127.0.0.1, found '\(h)'")
            } else { s.host = h }
        }
        if let v = f["port"], let n = integer(v, "submission.port") {
            if n > 65535 { fail(v, "submission.port: expected 1-65535, found \(n)") } else { s.port = n }
        }
        if let v = f["sendmail"], let path = text(v, "submission.sendmail", maxLength: 4096) {
            if path.hasPrefix("/") { s.sendmail = path } else {
                fail(v, "submission.sendmail: must be an absolute path, found '\(path)'")
            }
        }
        if let v = f["timeout"], let d = duration(v, "submission.timeout") { s.timeout = d }
        if let v = f["marker_max_age"], let d = duration(v, "submission.marker_max_age") { s.markerMaxAge = d }
        if let v = f["marker_key"], let k = text(v, "submission.marker_key", maxLength: 200) { s.markerKey = k }
        if f["marker_key"] == nil {
            fail(node, "submission: needs 'marker_key', the name of a secret in 'keys:' that signs the marker of every message the filter submits")
        }
        for (key, field) in [("notice_sender", \SubmissionSettings.noticeSender), ("notice_from", \SubmissionSettings.noticeFrom)] {
            guard let v = f[key], let a = text(v, "submission.\(key)", maxLength: 300) else { continue }
            let addr = a == "<>" ? "" : a
            if addr.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "<" || $0 == ">" || $0.value == 0x7f })
                || (!addr.isEmpty && !addr.contains("@")) {
                fail(v, "submission.\(key): expected an address such as postmaster@example.org, or '<>' for the null sender, found '\(a)'")
            } else { s[keyPath: field] = addr }
        }
        if let v = f["rcpt_deferral"], let b = bool(v, "submission.rcpt_deferral") { s.rcptDeferral = b }
        if let v = f["deferral_text"], let t = text(v, "submission.deferral_text", maxLength: 200) {
            if t.isEmpty || t.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
                fail(v, "submission.deferral_text: must be one line of text")
            } else { s.deferralText = t }
        }
        return errorCount > before ? nil : s
    }

    func domain(_ s: String, _ node: PolicyNode) -> DomainPattern? {
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

    func limits(_ node: PolicyNode, into l: inout Limits, _ e: inout EvaluationSettings) {
        let keys = ["max_depth", "max_header_bytes", "max_headers", "max_parts", "max_inspect_bytes",
                    "max_rule_cpu", "on_rule_cpu_exceeded"]
        guard let f = fields(node, in: "limits", allowed: keys) else { return }
        for (key, _, v) in f.entries {
            switch key {
            case "max_depth": if let n = integer(v, "limits.max_depth") { l.maxDepth = n }
            case "max_headers": if let n = integer(v, "limits.max_headers") { l.maxHeaders = n }
            case "max_parts": if let n = integer(v, "limits.max_parts") { l.maxParts = n }
            case "max_header_bytes": if let n = size(v, "limits.max_header_bytes", min: 1) { l.maxHeaderBytes = n }
            case "max_inspect_bytes": if let n = size(v, "limits.max_inspect_bytes", min: 1) { l.maxInspectBytes = n }
            case "max_rule_cpu": if let d = duration(v, "limits.max_rule_cpu") { e.maxRuleCPU = d }
            case "on_rule_cpu_exceeded":
                if let s = text(v, "limits.on_rule_cpu_exceeded") {
                    if let o = BudgetOutcome(rawValue: s) { e.onRuleCPUExceeded = o } else {
                        fail(v, "limits.on_rule_cpu_exceeded: expected tempfail or accept, found '\(s)'")
                    }
                }
            default: break
            }
        }
    }

    /// A time such as `2s`, `500ms` or `1.5s` (a bare number is seconds); more than 0, at most an hour.
    func duration(_ node: PolicyNode, _ what: String) -> Duration? {
        let form = "\(what): expected a time such as 2s or 500ms, found \(PolicyReader.describe(node))"
        guard let s = PolicyReader.scalarText(node) else { fail(node, form); return nil }
        var t = Substring(s)
        var scale = 1.0
        if t.hasSuffix("ms") { t = t.dropLast(2); scale = 0.001 } else if t.hasSuffix("s") { t = t.dropLast() }
        guard let x = Double(t), x.isFinite, x > 0 else { fail(node, form); return nil }
        let seconds = x * scale
        if seconds > 3600 { fail(node, "\(what): at most an hour, found \(s)"); return nil }
        if seconds < 0.001 { fail(node, "\(what): at least 1ms, found \(s)"); return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    func spool(_ node: PolicyNode, into s: inout SpoolSettings) {
        guard let f = fields(node, in: "spool", allowed: ["memory_limit", "directory"]) else { return }
        if let v = f["memory_limit"], let n = size(v, "spool.memory_limit") { s.memoryLimit = n }
        if let v = f["directory"], let d = text(v, "spool.directory", maxLength: 4096) {
            if d.hasPrefix("/") {
                s.directory = d
                s.line = PolicyReader.line(v); s.column = PolicyReader.column(v)
            } else {
                fail(v, "spool.directory: must be an absolute path, found '\(d)'")
            }
        }
    }

    func milter(_ node: PolicyNode, into m: inout MilterSettings) {
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
    func keys(_ node: PolicyNode) -> [KeyFile] {
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
}
