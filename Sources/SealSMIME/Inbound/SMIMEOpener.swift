import SealCrypto
import SealEngine
import SealPolicy
import SealMIME

/// Inbound S/MIME as an engine opener (``MessageOpener``): verifies signed
/// messages (multipart/signed and opaque signed-data) and records the result in
/// `Authentication-Results` (RFC 7281), inserted at the top of the header section
/// (RFC 8601: below this MTA's `Received`, above what arrived), removes such results that arrived for our
/// authserv-id, harvests the signer's certificate when it verifies and chains,
/// and decrypts enveloped and authenticated-enveloped data with a key the
/// gateway holds — picked by the message's RecipientInfos, never by trying keys.
public enum SMIMEOpener: MessageOpener {
    public static let name = "smime"

    public static func isActive(_ settings: PolicySettings) -> Bool {
        settings.features[SMIMESettings.self]?.inbound != nil
    }

    public static func wants(_ message: MessageFacts) -> Bool {
        guard let s = message.settings.features[SMIMESettings.self]?.inbound else { return false }
        if SMIMEKind(message.parser.parts[0].contentType) != nil { return true }
        return !forgedResults(message, s.authservID).isEmpty
    }

    public static func open(_ input: OpenerInput) -> OpenerResult {
        guard let smime = input.message.settings.features[SMIMESettings.self], let s = smime.inbound else { return OpenerResult() }
        var result = OpenerResult()
        // Results for our authserv-id that came from outside are removed (highest index first).
        for i in forgedResults(input.message, s.authservID).reversed() {
            result.headerEdits.append(HeaderEdit(operation: .delete, name: "Authentication-Results", value: nil, index: i))
        }
        if !result.headerEdits.isEmpty { result.logWords.append("smime-forged-results-removed=\(result.headerEdits.count)") }
        guard let kind = SMIMEKind(input.message.parser.parts[0].contentType) else { return result }
        if input.body.size > Int64(s.maxSize) {
            result.logWords.append("smime=skipped reason=\"\(InboundError.tooLarge(input.body.size, s.maxSize))\"")
            if kind == .signed || kind == .opaque {
                result.insertedHeaders.append(("Authentication-Results", "\(s.authservID); smime=temperror reason=\"message larger than max_size\""))
            }
            return result
        }
        let keys = s.keys(smime, input.message.settings)
        for p in keys.problems { result.logWords.append("smime-config=\"\(logSafe(p))\"") }
        var opener = Run(smime: smime, settings: s, keys: keys.keys, input: input, result: result)
        opener.open(kind: kind, entity: outerEntity(input), depth: 0)
        return opener.result
    }

    // MARK: What is on top

    /// The S/MIME forms the opener handles.
    enum SMIMEKind: Equatable {
        case signed      // multipart/signed with a pkcs7-signature
        case opaque      // application/pkcs7-mime, signed-data
        case enveloped   // application/pkcs7-mime, enveloped-data or authEnveloped-data (or no smime-type)
        init?(_ ct: ContentType) {
            switch ct.mediaType.lowercased() {
            case "multipart/signed":
                let proto = ct.parameters["protocol"]?.lowercased() ?? ""
                guard proto == "application/pkcs7-signature" || proto == "application/x-pkcs7-signature" else { return nil }
                self = .signed
            case "application/pkcs7-mime", "application/x-pkcs7-mime":
                switch ct.parameters["smime-type"]?.lowercased() {
                case "signed-data"?: self = .opaque
                case "certs-only"?, "compressed-data"?: return nil
                default: self = .enveloped
                }
            default: return nil
            }
        }
    }

    /// 1-based indices of `Authentication-Results` fields whose authserv-id is ours.
    static func forgedResults(_ m: MessageFacts, _ authservID: String) -> [Int] {
        var out: [Int] = []
        var n = 0
        for h in m.headers where h.name.lowercased() == "authentication-results" {
            n += 1
            if authservIDOf(h.value).lowercased() == authservID.lowercased() { out.append(n) }
        }
        return out
    }

    /// The authserv-id of an Authentication-Results value: the first token, before
    /// ';' or whitespace, comments skipped (RFC 8601).
    static func authservIDOf(_ value: String) -> String {
        var s = Substring(value)
        while true {
            s = s.drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
            guard s.first == "(" else { break }
            var depth = 0
            var i = s.startIndex
            while i < s.endIndex {
                if s[i] == "(" { depth += 1 } else if s[i] == ")" { depth -= 1; if depth == 0 { break } }
                i = s.index(after: i)
            }
            s = i < s.endIndex ? s[s.index(after: i)...] : ""
        }
        return String(s.prefix { $0 != ";" && $0 != " " && $0 != "\t" && $0 != "\r" && $0 != "\n" && $0 != "(" })
    }

    /// The outer message as an S/MIME entity: its structure fields, a blank line, the body.
    static func outerEntity(_ input: OpenerInput) -> any BodySource {
        var head = ""
        for h in input.message.headers where ["content-type", "content-transfer-encoding"].contains(h.name.lowercased()) {
            head += h.name + ": " + unfold(h.value) + "\r\n"
        }
        head += "\r\n"
        return PrefixedSource(Array(head.utf8), input.body.reader())
    }

    static func unfold(_ v: String) -> String {
        String(String.UnicodeScalarView(v.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }))
            .drop { $0 == " " }.description
    }
}

/// One message's opening: verification, decryption, and what is inside.
private struct Run {
    let smime: SMIMESettings
    let settings: SMIMEInboundSettings
    let keys: [DecryptionKey]
    let input: OpenerInput
    var result: OpenerResult
    /// RFC 7281 results gathered (the outer signature first, inner ones after).
    var verdicts: [String] = []
    var decrypted = false

    init(smime: SMIMESettings, settings: SMIMEInboundSettings, keys: [DecryptionKey], input: OpenerInput, result: OpenerResult) {
        self.smime = smime; self.settings = settings; self.keys = keys; self.input = input; self.result = result
    }

    /// Opens one S/MIME entity; `depth` bounds nesting (signed inside encrypted, ...).
    mutating func open(kind: SMIMEOpener.SMIMEKind, entity: any BodySource, depth: Int) {
        defer { if depth == 0 { finish() } }
        guard depth < 3 else { result.logWords.append("smime-nesting=too-deep"); return }
        let parsed: CMSInbound.Parsed
        switch CMSInbound.read(entity) {
        case .success(let p): parsed = p
        case .failure(let e):
            result.logWords.append("smime-error=\"\(logSafe("\(e)"))\"")
            if kind != .enveloped { verdicts.append("smime=permerror reason=\"\(quoteSafe("\(e)"))\"") }
            return
        }
        switch (kind, parsed.kind) {
        case (.signed, .signed):
            verifyDetached(parsed)
        case (.opaque, .signed), (.enveloped, .signed):
            // Opaque signed-data: verify, and its content is what the rules see.
            let content = input.newSpool()
            verify(parsed, content: content)
            if content.error == nil, content.size > 0 { openInner(content, depth: depth, deliver: false) }
        case (.signed, _):
            result.logWords.append("smime-error=\"the signature part is not signed-data\"")
            verdicts.append("smime=permerror reason=\"the signature part is not signed-data\"")
        case (_, .enveloped), (_, .authEnveloped):
            decrypt(parsed, depth: depth)
        case (_, .other(let t)):
            result.logWords.append("smime-error=\"unexpected CMS content type \(logSafe(t))\"")
            if kind != .enveloped { verdicts.append("smime=permerror reason=\"unexpected CMS content type\"") }
        }
    }

    mutating func verifyDetached(_ p: CMSInbound.Parsed) {
        verify(p, content: nil)
    }

    mutating func verify(_ p: CMSInbound.Parsed, content: BodySpool?) {
        guard settings.verify else { return }
        let trust: TrustStore
        do { trust = try smime.trustStore() } catch {
            verdicts.append("smime=temperror reason=\"trust store unavailable\"")
            result.logWords.append("smime=temperror smime-reason=\"\(logSafe("\(error)"))\"")
            return
        }
        let r = CMSInbound.verify(p, trust: trust.store, content: content)
        var v = "smime=\(r.status.rawValue)"
        if let e = r.signerEmail { v += " body.smime-identifier=\(propertyValue(e))" }
        if let sn = r.serialHex { v += " body.smime-serial=\(sn)" }
        if let iss = r.issuer { v += " body.smime-issuer=\"\(quoteSafe(iss))\"" }
        if r.status != .pass { v += " reason=\"\(quoteSafe(r.reason))\"" }
        verdicts.append(v)
        result.logWords.append("smime=\(r.status.rawValue)")
        if let e = r.signerEmail { result.logWords.append("smime-signer=\(logSafe(e))") }
        if r.status != .pass { result.logWords.append("smime-reason=\"\(logSafe(r.reason))\"") }
        if r.status == .pass, settings.harvest, let cert = r.signerCertificate, let store = smime.certificateDirectory {
            switch Harvest.add(cert, capabilities: r.capabilities, store: store) {
            case .success(let added): result.logWords.append(added ? "smime-harvested=yes" : "smime-harvested=known")
            case .failure(let e): result.logWords.append("smime-harvest-error=\"\(logSafe("\(e)"))\"")
            }
        }
    }

    mutating func decrypt(_ p: CMSInbound.Parsed, depth: Int) {
        guard let key = CMSInbound.matchingKey(p, keys) else {
            result.logWords.append(keys.isEmpty ? "smime-decrypt=no-keys" : "smime-decrypt=no-matching-key")
            return
        }
        let out = input.newSpool()
        switch CMSInbound.decrypt(p, with: key, into: out) {
        case .success:
            decrypted = true
            result.logWords.append("smime-decrypt=ok smime-key=\(logSafe(key.name))")
            openInner(out, depth: depth, deliver: settings.delivery == .plaintext)
        case .failure(let e):
            result.logWords.append("smime-decrypt=failed smime-key=\(logSafe(key.name)) smime-reason=\"\(logSafe("\(e)"))\"")
        }
    }

    /// A decrypted or opaque-signed content (a MIME entity): when it is itself
    /// S/MIME, open that; otherwise it is the opened entity.
    mutating func openInner(_ content: BodySpool, depth: Int, deliver: Bool) {
        let deliverIt = deliver || decrypted && settings.delivery == .plaintext
        if let ct = Self.contentType(of: content), let inner = SMIMEOpener.SMIMEKind(ct) {
            if inner == .signed {
                // A signed entity inside: verify it; the entity itself (both parts) is what rules see.
                open(kind: inner, entity: content.reader(), depth: depth + 1)
                result.opened = OpenedEntity(entity: content.reader(), deliver: deliverIt, marker: "smime")
                return
            }
            open(kind: inner, entity: content.reader(), depth: depth + 1)
            if result.opened != nil { return }
        }
        result.opened = OpenedEntity(entity: content.reader(), deliver: deliverIt, marker: "smime")
    }

    /// The Content-Type of an entity in a spool (its header section, up to 64 KiB).
    static func contentType(of spool: BodySpool) -> ContentType? {
        let head = spool.prefix(65536)
        let h = HeadOnly()
        let parser = MIMEParser(handler: h)
        head.withUnsafeBytes { parser.raw($0) }
        guard parser.parts[0].contentOffset >= 0 else { return nil }
        return parser.parts[0].contentType
    }

    /// The Authentication-Results field, once.
    mutating func finish() {
        guard !verdicts.isEmpty else { return }
        let value = settings.authservID + ";" + verdicts.map { "\r\n\t" + $0 }.joined(separator: ";")
        result.insertedHeaders.append(("Authentication-Results", value))
    }
}

/// A handler that keeps nothing (the parser's part table is enough).
private final class HeadOnly: MIMEHandler {
    func topLevelHeader(name: String, value: String) {}
    func partBegan(_ parser: MIMEParser, index: Int) -> Bool { false }
    func partData(_ parser: MIMEParser, index: Int, _ bytes: UnsafeRawBufferPointer) -> Bool { false }
    func partEnded(_ parser: MIMEParser, index: Int) {}
    func limitExceeded(_ parser: MIMEParser, _ kind: LimitKind) {}
}

/// A value as one log word: spaces, quotes and control characters become '_'.
func logSafe(_ v: String) -> String {
    String(String.UnicodeScalarView(v.prefix(200).unicodeScalars.map { $0.value <= 0x20 || $0 == "\"" || $0.value == 0x7f ? "_" : $0 }))
}

/// Text for a quoted-string in a header field: no quotes, backslashes or controls.
func quoteSafe(_ v: String) -> String {
    String(String.UnicodeScalarView(v.prefix(200).unicodeScalars.map { $0.value < 0x20 || $0 == "\"" || $0 == "\\" || $0.value >= 0x7f ? "_" : $0 }))
}

/// An RFC 8601 property value: a token as is, anything else quoted.
func propertyValue(_ v: String) -> String {
    let ok = v.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7f && !"()<>,;:\\\"[]?=".unicodeScalars.contains($0) || $0 == "@" }
    return ok ? v : "\"" + quoteSafe(v) + "\""
}
