import SealPolicy
import SealRegistry
#if canImport(Glibc)
import Glibc
#endif

/// The policy's `rights:` section: the templates, the registry, what happens when
/// the registry cannot be reached, how inside recipients get a protected message,
/// fingerprint tuning and manual requests. Holds the registry (opened on first
/// use, shared by every session of an engine).
public final class RightsSettings: PolicyFeature {
    public static let key = "rights"
    static let keys = ["templates", "registry", "on_registry_error", "inside", "violation", "fingerprints", "manual"]
    public static var innerKeys: Set<String> { ["templates", "registry", "on_registry_error", "inside", "fingerprints", "manual"] }

    public enum RegistryErrorPolicy: String, Sendable { case tempfail, passFlagged = "pass_flagged" }
    public enum InsideMode: String, Sendable { case envelope, labels }

    /// Built-in and custom templates by name.
    public let templates: [String: RightsTemplate]
    public let location: RegistryLocation
    public let onRegistryError: RegistryErrorPolicy
    public let inside: InsideMode
    public let fingerprints: FingerprintSettings
    /// Subject tags (`[dnf]`, compared case-insensitively) and the templates they ask for.
    public let tags: [(tag: String, template: String)]
    /// Whether `X-Sealmilter-Protect: TEMPLATE` asks for a template.
    public let headerRequests: Bool
    /// The registry (opened on first use).
    public let registry: RightsRegistry
    /// Line of the `registry:` value, for file problems.
    let registryLine: Int?
    /// The policy file (for file problems).
    let file: String

    /// The default registry file.
    public static let defaultPath = "/var/lib/sealmilter/rights.db"
    /// The request header field.
    public static let requestField = "X-Sealmilter-Protect"
    /// The label field naming the template (written by the gateway only: every
    /// incoming `X-Sealmilter-*` field is removed).
    public static let labelField = "X-Sealmilter-Rights"

    init(templates: [String: RightsTemplate], location: RegistryLocation, onRegistryError: RegistryErrorPolicy,
         inside: InsideMode, fingerprints: FingerprintSettings, tags: [(String, String)], headerRequests: Bool, registryLine: Int?,
         file: String = "") {
        self.file = file
        self.templates = templates; self.location = location; self.onRegistryError = onRegistryError
        self.inside = inside; self.fingerprints = fingerprints; self.tags = tags.map { (tag: $0.0, template: $0.1) }
        self.headerRequests = headerRequests; self.registry = RightsRegistry(location); self.registryLine = registryLine
    }

    /// A section with the defaults (tests, `sealctl rights` without a policy).
    public static func defaults(location: RegistryLocation) -> RightsSettings {
        RightsSettings(templates: RightsTemplate.builtin, location: location, onRegistryError: .tempfail, inside: .labels,
                       fingerprints: FingerprintSettings(), tags: [("[dnf]", "do-not-forward")], headerRequests: true, registryLine: nil)
    }

    public static func load(_ value: PolicyNode, _ c: FeatureLoadContext) -> RightsSettings? {
        let r = c.reader
        let before = r.errorCount
        guard let f = r.fields(value, in: key, allowed: keys) else { return nil }
        var location = RegistryLocation.sqlite(path: defaultPath)
        var registryLine: Int? = nil
        if let v = f["registry"] {
            registryLine = PolicyReader.line(v)
            if let l = readRegistry(v, r) { location = l }
        }
        var onError = RegistryErrorPolicy.tempfail
        if let v = f["on_registry_error"], let s = r.text(v, "rights.on_registry_error") {
            if let p = RegistryErrorPolicy(rawValue: PolicyReader.normalizeKey(s)) { onError = p } else {
                r.fail(v, "rights.on_registry_error: expected tempfail or pass_flagged, found '\(s)'")
            }
        }
        var inside = InsideMode.labels
        if let v = f["inside"], let s = r.text(v, "rights.inside") {
            if let m = InsideMode(rawValue: s) { inside = m } else {
                r.fail(v, "rights.inside: expected envelope or labels, found '\(s)'")
            }
        }
        var defaultViolation = RightsTemplate.Violation.default
        if let v = f["violation"], let vi = readViolation(v, "rights.violation", r, base: defaultViolation) { defaultViolation = vi }
        var fp = FingerprintSettings()
        if let v = f["fingerprints"] { fp = readFingerprints(v, r) ?? fp }
        var templates = RightsTemplate.builtin
        for k in templates.keys { templates[k]!.violation = defaultViolation }
        if let v = f["templates"] {
            if case let .mapping(map) = v {
                for (k, tv) in map {
                    guard let name = PolicyReader.scalarText(k) else { r.fail(k, "rights.templates: names must be plain text"); continue }
                    if RightsTemplate.builtin[name] != nil {
                        r.fail(k, "rights.templates: '\(name)' is built in and cannot be redefined; give your template another name")
                        continue
                    }
                    if !validName(name) {
                        r.fail(k, "rights.templates: '\(name)' is not a template name (lower-case letters, digits, '-' and '_', at most 64)")
                        continue
                    }
                    if let t = readTemplate(name, tv, r, defaultViolation: defaultViolation) { templates[name] = t }
                }
            } else {
                r.fail(v, "rights.templates: expected a mapping of template names to their restrictions, found \(PolicyReader.describe(v))")
            }
        }
        var tags: [(String, String)] = [("[dnf]", "do-not-forward")]
        var header = true
        if let v = f["manual"], let m = r.fields(v, in: "rights.manual", allowed: ["tags", "header"]) {
            if let hv = m["header"], let b = r.bool(hv, "rights.manual.header") { header = b }
            if let tv = m["tags"] {
                tags = []
                if case let .mapping(map) = tv {
                    for (k, nv) in map {
                        guard let tag = PolicyReader.scalarText(k), !tag.isEmpty,
                              !tag.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
                            r.fail(k, "rights.manual.tags: a tag is one line of text such as '[dnf]'"); continue
                        }
                        guard let name = r.text(nv, "rights.manual.tags.\(tag)") else { continue }
                        if templates[name] == nil {
                            r.fail(nv, "rights.manual.tags.\(tag): no template '\(name)' (known: \(templates.keys.sorted().joined(separator: ", ")))")
                            continue
                        }
                        tags.append((tag, name))
                    }
                } else if !r.isNull(tv) {
                    r.fail(tv, "rights.manual.tags: expected a mapping such as {\"[dnf]\": do-not-forward}, found \(PolicyReader.describe(tv))")
                }
            }
        }
        guard r.errorCount == before else { return nil }
        let s = RightsSettings(templates: templates, location: location, onRegistryError: onError, inside: inside,
                               fingerprints: fp, tags: tags, headerRequests: header, registryLine: registryLine, file: r.file)
        return s
    }

    static func validName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }
    }

    static func readRegistry(_ v: PolicyNode, _ r: PolicyReader) -> RegistryLocation? {
        guard let f = r.fields(v, in: "rights.registry", allowed: ["sqlite", "postgresql"]) else { return nil }
        if f["sqlite"] != nil && f["postgresql"] != nil {
            r.fail(v, "rights.registry: give one of sqlite or postgresql, not both"); return nil
        }
        if let p = f["sqlite"] {
            guard let path = r.text(p, "rights.registry.sqlite", maxLength: 4096) else { return nil }
            guard path.hasPrefix("/") else { r.fail(p, "rights.registry.sqlite: must be an absolute path, found '\(path)'"); return nil }
            return .sqlite(path: path)
        }
        if let u = f["postgresql"] {
            guard let uri = r.text(u, "rights.registry.postgresql", maxLength: 4096) else { return nil }
            guard uri.hasPrefix("postgresql://") || uri.hasPrefix("postgres://") || uri.contains("=") else {
                r.fail(u, "rights.registry.postgresql: expected a connection URI such as postgresql://sealmilter@db.example.org/sealmilter")
                return nil
            }
            return .postgresql(uri: uri)
        }
        if !f.rejected { r.fail(v, "rights.registry: expected {sqlite: PATH} or {postgresql: URI}") }
        return nil
    }

    static func readViolation(_ v: PolicyNode, _ what: String, _ r: PolicyReader, base: RightsTemplate.Violation) -> RightsTemplate.Violation? {
        guard let f = r.fields(v, in: what, allowed: ["action", "text"]) else { return nil }
        var out = base
        if let a = f["action"], let s = r.text(a, "\(what).action") {
            guard let act = RightsTemplate.Violation.Action(rawValue: s) else {
                r.fail(a, "\(what).action: expected reject or quarantine, found '\(s)'"); return nil
            }
            out.action = act
        }
        if let t = f["text"] {
            guard let s = r.text(t, "\(what).text") else { return nil }
            guard s.unicodeScalars.allSatisfy({ $0.isASCII }) else { r.fail(t, "\(what).text: an SMTP reply is ASCII text"); return nil }
            out.reply.text = s
        }
        return out
    }

    static let templateKeys = ["no_forward", "no_reply_all", "no_print", "no_copy", "expiry", "watermark", "reply", "violation"]

    static func readTemplate(_ name: String, _ v: PolicyNode, _ r: PolicyReader, defaultViolation: RightsTemplate.Violation) -> RightsTemplate? {
        let what = "rights.templates.\(name)"
        let before = r.errorCount
        guard let f = r.fields(v, in: what, allowed: templateKeys) else { return nil }
        var t = RightsTemplate(name: name)
        t.violation = defaultViolation
        if let x = f["no_forward"], let b = r.bool(x, "\(what).no_forward") { t.noForward = b }
        if let x = f["no_reply_all"], let b = r.bool(x, "\(what).no_reply_all") { t.noReplyAll = b }
        if let x = f["no_print"], let b = r.bool(x, "\(what).no_print") { t.noPrint = b }
        if let x = f["no_copy"], let b = r.bool(x, "\(what).no_copy") { t.noCopy = b }
        if let x = f["watermark"], let b = r.bool(x, "\(what).watermark") { t.watermark = b }
        if let x = f["reply"], let b = r.bool(x, "\(what).reply") { t.reply = b }
        if let x = f["expiry"] { t.expirySeconds = readExpiry(x, "\(what).expiry", r) }
        if let x = f["violation"] {
            if let vi = readViolation(x, "\(what).violation", r, base: defaultViolation) { t.violation = vi }
            if f["no_forward"] == nil || !t.noForward {
                r.fail(x, "\(what).violation: only a template with no_forward: true is enforced at the gateway; remove 'violation' or set no_forward")
            }
        }
        // Real contradictions.
        if t.noReplyAll && !t.reply, let x = f.keyNode("no_reply_all") {
            r.fail(x, "\(what): no_reply_all with reply: false contradicts itself (no reply is allowed at all); remove no_reply_all")
        }
        guard r.errorCount == before else { return nil }
        return t
    }

    /// `7d`, `12h`, `30m`, `90s`, `2w` (a bare number is seconds): more than 0, at most 10 years.
    static func readExpiry(_ v: PolicyNode, _ what: String, _ r: PolicyReader) -> Int64? {
        let form = "\(what): expected a duration such as 7d, 12h or 30m, found \(PolicyReader.describe(v))"
        guard let s = PolicyReader.scalarText(v) else { r.fail(v, form); return nil }
        var t = Substring(s)
        var scale: Int64 = 1
        switch t.last {
        case "w": scale = 7 * 86400; t = t.dropLast()
        case "d": scale = 86400; t = t.dropLast()
        case "h": scale = 3600; t = t.dropLast()
        case "m": scale = 60; t = t.dropLast()
        case "s": t = t.dropLast()
        default: break
        }
        guard let n = Int64(t) else { r.fail(v, form); return nil }
        guard n > 0 else { r.fail(v, "\(what): must be more than 0 (a message that expires at once cannot be read), found \(s)"); return nil }
        guard n <= 10 * 366 * 86400 / scale else { r.fail(v, "\(what): at most 10 years, found \(s)"); return nil }
        return n * scale
    }

    static func readFingerprints(_ v: PolicyNode, _ r: PolicyReader) -> FingerprintSettings? {
        guard let f = r.fields(v, in: "rights.fingerprints", allowed: ["shingle", "sample", "threshold", "min_attachment"]) else { return nil }
        var fp = FingerprintSettings()
        if let x = f["shingle"], let n = r.integer(x, "rights.fingerprints.shingle", min: 2) {
            if n > 16 { r.fail(x, "rights.fingerprints.shingle: at most 16 words") } else { fp.shingle = n }
        }
        if let x = f["sample"], let n = r.integer(x, "rights.fingerprints.sample", min: 4) {
            if n > 1024 { r.fail(x, "rights.fingerprints.sample: at most 1024") } else { fp.sample = n }
        }
        if let x = f["threshold"] {
            let s = PolicyReader.scalarText(x) ?? ""
            let pct = s.hasSuffix("%") ? Double(s.dropLast()) : Double(s).map { $0 * 100 }
            if let p = pct, p > 0, p <= 100 { fp.thresholdPercent = Int(p.rounded()) } else {
                r.fail(x, "rights.fingerprints.threshold: expected a share such as 0.5 or 50%, more than 0 and at most 1, found \(PolicyReader.describe(x))")
            }
        }
        if let x = f["min_attachment"], let n = r.size(x, "rights.fingerprints.min_attachment") { fp.minAttachment = n }
        return fp
    }

    public func check(_ settings: PolicySettings) -> [PolicyError] {
        settings.internalDomains.isEmpty
            ? [PolicyError(file: settings.source, line: registryLine, message: "rights: needs 'internal_domains' (inside and outside recipients, internal senders)")]
            : []
    }

    public func fileProblems(owner: uid_t?) -> [PolicyError] {
        guard case let .sqlite(path) = location else { return [] }
        var dir = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if dir.isEmpty { dir = "/" }
        var st = stat()
        if stat(dir, &st) != 0 || (st.st_mode & S_IFMT) != S_IFDIR {
            return [PolicyError(file: file, line: registryLine, message: "rights.registry.sqlite: directory \(dir) does not exist")]
        }
        if let owner, st.st_uid != owner {
            return [PolicyError(file: file, line: registryLine, message: "rights.registry.sqlite: directory \(dir) does not belong to the filter's user")]
        }
        return []
    }
}

/// How text and attachments are fingerprinted and matched (`rights.fingerprints`).
public struct FingerprintSettings: Sendable, Equatable {
    /// Words per shingle.
    public var shingle = 5
    /// Hashes kept per protected message (the smallest: a bottom-k sample).
    public var sample = 64
    /// The share of a protected message's sample an outbound text must contain, in percent.
    public var thresholdPercent = 50
    /// Attachments smaller than this are not fingerprinted (logos, signatures).
    public var minAttachment = 512
    public init() {}
}
