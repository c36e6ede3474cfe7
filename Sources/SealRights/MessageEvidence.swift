import SealEngine
import SealMIME
import SealPolicy
import SealRegistry

/// What a message carries that can tie it to a protected one: the Message-IDs it
/// refers to (In-Reply-To, References) or carries (messages inside message/rfc822
/// and message/global parts at any depth, attached `.eml` files), the shingle
/// hashes of all its decoded text (its own text parts, the text of message/rfc822
/// parts, the text of attached `.eml` files) and the SHA-256 of its attachments.
struct MessageEvidence {
    var messageIDs: [String] = []
    var hashes = Set<UInt64>()
    var attachments: [String] = []

    init(_ m: MessageFacts, _ fp: FingerprintSettings, references: Bool) {
        var texts = m.textParts()
        if references {
            for name in ["In-Reply-To", "References"] {
                for v in m.headerValues(name) { messageIDs += Self.ids(in: v) }
            }
        }
        for (_, value) in m.embeddedMessageIDs.sorted(by: { $0.key < $1.key }) {
            messageIDs += Self.ids(in: value)
        }
        for (_, bytes) in m.attachedMessages.sorted(by: { $0.key < $1.key }) {
            let inner = AttachedMessage(bytes)
            messageIDs += inner.messageIDs
            texts += inner.texts
        }
        hashes = Fingerprint.hashes(of: texts, shingle: fp.shingle)
        attachments = Self.attachmentDigests(m, fp)
        var seen = Set<String>()
        messageIDs = messageIDs.filter { seen.insert($0).inserted }
    }

    /// `<id>` tokens of a header value.
    static func ids(in value: String) -> [String] {
        var out: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { break }
            let id = rest[open...close]
            if id.count > 2 && id.count <= 998 && !id.contains(" ") { out.append(String(id)) }
            rest = rest[rest.index(after: close)...]
            if out.count >= 100 { break }
        }
        return out
    }

    /// SHA-256 (hex) of each non-text leaf of at least `minAttachment` decoded bytes.
    static func attachmentDigests(_ m: MessageFacts, _ fp: FingerprintSettings) -> [String] {
        var out: [String] = []
        guard let parser = m.parser else { return out }
        for (i, d) in m.partDigests.sorted(by: { $0.key < $1.key }) {
            guard i < parser.parts.count, parser.parts[i].decodedSize >= Int64(fp.minAttachment) else { continue }
            out.append(hex(d))
        }
        return out
    }

    static func hex(_ b: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var s = [UInt8](); s.reserveCapacity(b.count * 2)
        for x in b { s.append(digits[Int(x >> 4)]); s.append(digits[Int(x & 15)]) }
        return String(decoding: s, as: UTF8.self)
    }
}

/// An attached message kept as a leaf (an `.eml` file): its Message-ID and the
/// decoded text of its text parts, read with the same MIME parser.
final class AttachedMessage: MIMEHandler {
    private(set) var messageIDs: [String] = []
    private(set) var texts: [String] = []
    private var buffers: [Int: [UInt8]] = [:]
    private var parser: MIMEParser!

    init(_ bytes: [UInt8]) {
        parser = MIMEParser(handler: self)
        bytes.withUnsafeBytes { parser.raw($0) }
        parser.finish()
        for i in buffers.keys.sorted() {
            texts.append(Charset.decode(buffers[i]!, charset: parser.parts[i].contentType.parameters["charset"]))
        }
    }

    func topLevelHeader(name: String, value: String) {
        if name.lowercased() == "message-id" { messageIDs += MessageEvidence.ids(in: value) }
    }
    func partBegan(_ parser: MIMEParser, index: Int) -> Bool {
        let p = parser.parts[index]
        guard p.isLeaf, p.contentType.mediaType.hasPrefix("text/") else { return false }
        buffers[index] = []
        return true
    }
    func partData(_ parser: MIMEParser, index: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        buffers[index]?.append(contentsOf: bytes)
        return true
    }
    func partEnded(_ parser: MIMEParser, index: Int) {}
    func limitExceeded(_ parser: MIMEParser, _ kind: LimitKind) {}
}

/// The Do Not Forward check of one message, made once (by the condition) and read
/// by the action of the same rule (``MessageFacts/state(_:)``).
final class ForwardCheck {
    struct Violation {
        var match: RightsMatch
        var template: RightsTemplate
        /// Recipients who were not on the protected message.
        var outsiders: [String]
    }
    var done = false
    var violations: [Violation] = []
    var error: RegistryError?
    var checked = 0

    /// Runs the check (once per message).
    func run(_ m: MessageFacts, _ settings: RightsSettings, now: Int64) {
        guard !done else { return }
        done = true
        let ev = MessageEvidence(m, settings.fingerprints, references: true)
        guard !ev.messageIDs.isEmpty || !ev.hashes.isEmpty || !ev.attachments.isEmpty else { return }
        let q = RightsQuery(messageIDs: ev.messageIDs, textHashes: Array(ev.hashes), attachments: ev.attachments,
                            thresholdPercent: settings.fingerprints.thresholdPercent, minimumHits: 3, now: now)
        let matches: [RightsMatch]
        do { matches = try settings.registry.lookup(q) } catch { self.error = error; return }
        checked = matches.count
        let recipients = m.recipients
        for match in matches {
            // A template the policy no longer has: enforced as Do Not Forward (fail closed).
            let template = settings.templates[match.message.template] ?? settings.templates["do-not-forward"]!
            guard template.noForward else { continue }
            var allowed = Set(match.message.recipients.map { $0.lowercased() })
            allowed.insert(match.message.sender.lowercased())
            let outsiders = recipients.filter { !allowed.contains($0.lowercased()) }
            if !outsiders.isEmpty { violations.append(Violation(match: match, template: template, outsiders: outsiders)) }
        }
    }
}
