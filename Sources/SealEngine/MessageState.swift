import SealPolicy
import SealDetect
import SealMIME
import SealMetrics

/// The facts and decisions of one message, and the parser's handler: it keeps what
/// the rules need (envelope, top-level header fields, per-part labels and
/// unscannable kinds, decoded text up to the inspection limit) and nothing else.
final class MessageState: MIMEHandler {
    let sender: String
    var recipients: [String] = []
    private(set) var headers: [(name: String, value: String)] = []
    private var headerBytes: Int64 = 0
    /// Forged `X-Sealmilter-*` fields: name as received, 1-based index among fields of that name.
    private(set) var forged: [(name: String, index: Int)] = []
    private var nameCounts: [String: Int] = [:]

    var parser: MIMEParser!
    var rawMode = false
    var rawBodyStarted = false
    /// Raw mode, while in the top header section of a message whose body may be
    /// rewritten: the bytes of earlier chunks since the last line feed. A line that
    /// turns out not to be a header field starts the body, and its first bytes may
    /// have come in earlier chunks; the spool needs them. Bounded by the longest
    /// header line the parser keeps.
    var rawLineTail: [UInt8]? = nil
    var spool: BodySpool?

    // Detection
    private(set) var unscannable: UnscannableSet = []
    private(set) var partKinds: [Int: UnscannableSet] = [:]
    private var sniffers: [Int: ContentSniffer] = [:]
    private var texts: [Int: [UInt8]] = [:]
    private let collectText: Bool
    private let inspectLimit: Int

    // Rules
    private var nextRule = 0
    private var stopped = false
    private var recipientsEvaluated = false
    var decided: Decision?
    var actionName = "accept"
    private(set) var matchedRules: [String] = []
    /// Per matched rule with remove_attachments: the rule and its selector.
    private var removals: [(rule: Rule, selector: PartSelector?)] = []
    private(set) var addedHeaders: [(String, String)] = []
    private(set) var quarantine: String?
    var removedParts: [String] = []
    var failure: String?
    private let started = ContinuousClock.now
    private var recorded = false

    private unowned let session: Session

    /// Records the message's outcome in the metrics, once.
    func recordOutcome() {
        guard !recorded else { return }
        recorded = true
        if failure != nil { Metrics.error(stage: "end-of-message") }
        Metrics.message(action: actionName, rules: matchedRules, unscannable: unscannable.kinds.map(\.rawValue),
                        limitsExceeded: limitsExceeded, duration: ContinuousClock.now - started)
    }

    init(session: Session, sender: String) {
        self.session = session
        self.sender = sender
        let p = session.engine.policy
        self.collectText = p.rules.contains { r in (r.conditions + r.exceptions).contains { if case .body = $0 { return true } else { return false } } }
        self.inspectLimit = p.limits.maxInspectBytes
        self.parser = MIMEParser(limits: p.limits, decodeAll: session.decodeAll, handler: self)
    }

    var policy: Policy { session.engine.policy }
    var rules: [Rule] { session.engine.policy.rules }
    var limitsExceeded: Bool { !parser.exceeded.isEmpty }
    var messageSize: Int64 { headerBytes + parser.bodySize }

    /// Whether an action may rewrite the body (so the body must be spooled).
    var mayRewriteBody: Bool {
        if !removals.isEmpty { return true }
        guard !stopped else { return false }
        return rules[nextRule...].contains { r in
            !r.rejectsRecipient && r.actions.contains { if case .removeAttachments = $0 { return true } else { return false } }
        }
    }

    func needsBody(session: Session) -> Bool {
        if policy.flagUnscannable || mayRewriteBody { return true }
        guard !stopped else { return false }
        return rules[nextRule...].contains { !$0.rejectsRecipient && $0.stage == .body }
    }

    // MARK: Headers

    func recordHeader(name: String, value: String, session: Session) {
        let lower = name.lowercased()
        nameCounts[lower, default: 0] += 1
        headerBytes += Int64(name.utf8.count + value.utf8.count + 4)
        if lower.hasPrefix("x-sealmilter-") {
            forged.append((name, nameCounts[lower]!))
            return
        }
        if headers.count < policy.limits.maxHeaders { headers.append((name, value)) }
        unscannable.formUnion(Detector.kinds(fromMessageHeader: name, value: value))
    }

    func topLevelHeader(name: String, value: String) {
        recordHeader(name: name, value: value, session: session)
    }

    // MARK: Parser events

    func partBegan(_ parser: MIMEParser, index: Int) -> Bool {
        let part = parser.parts[index]
        let label = PartLabel(mediaType: part.contentType.mediaType, parameters: part.contentType.parameters, filename: part.filename)
        let kinds = Detector.kinds(fromLabel: label)
        if !kinds.isEmpty { partKinds[index, default: []].formUnion(kinds); unscannable.formUnion(kinds) }
        guard part.isLeaf else { return false }
        let sniffer = ContentSniffer(label: label, maxBytes: inspectLimit)
        let wantText = collectText && label.isText
        if sniffer.wantsMore { sniffers[index] = sniffer }
        if wantText { texts[index] = [] }
        return sniffer.wantsMore || wantText
    }

    func partData(_ parser: MIMEParser, index: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var more = false
        if sniffers[index] != nil {
            sniffers[index]!.feed(bytes)   // in place: a sniffer is ~2 KiB inline
            more = sniffers[index]!.wantsMore
        }
        if texts[index] != nil {
            texts[index]!.append(contentsOf: bytes)
            more = true
        }
        return more
    }

    func partEnded(_ parser: MIMEParser, index: Int) {
        if var s = sniffers.removeValue(forKey: index) {
            s.finish()
            if !s.found.isEmpty { partKinds[index, default: []].formUnion(s.found); unscannable.formUnion(s.found) }
        }
    }

    func limitExceeded(_ parser: MIMEParser, _ kind: LimitKind) {}

    // MARK: Rules

    /// Runs every message-level rule whose stage has come, in order.
    func advance(to stage: Stage, session: Session) -> Decision {
        if let d = decided { return d }
        while !stopped && nextRule < rules.count {
            let rule = rules[nextRule]
            if rule.rejectsRecipient { nextRule += 1; continue }
            if rule.stage > stage { break }
            nextRule += 1
            guard holds(rule, recipients: recipients) else { continue }
            matchedRules.append(rule.name)
            if let d = apply(rule, session: session) { return d }
            if rule.stop { stopped = true }
        }
        return .continue
    }

    /// Recipient-stage rules become decidable once all recipients are known: the first header.
    func recipientsKnown(session: Session) -> Decision {
        if recipientsEvaluated { return decided ?? .continue }
        recipientsEvaluated = true
        return advance(to: .rcpt, session: session)
    }

    /// `reject_recipient` rules for one recipient; the reply when it is refused.
    func recipientDecision(_ address: String, session: Session) -> SMTPReply? {
        for rule in rules where rule.rejectsRecipient {
            guard holds(rule, recipients: [address]) else { continue }
            for case .rejectRecipient(let r) in rule.actions {
                matchedRules.append(rule.name + "(" + address + ")")
                return r
            }
            if rule.stop { break }
        }
        return nil
    }

    private func apply(_ rule: Rule, session: Session) -> Decision? {
        for action in rule.actions {
            switch action {
            case .addHeader(let name, let value): addedHeaders.append((name, value))
            case .quarantine(let reason): quarantine = quarantine ?? reason
            case .removeAttachments(let sel): removals.append((rule, sel))
            case .rejectRecipient: break
            case .reject(let r): return decide(.reject, "reject", r, session)
            case .tempfail(let r): return decide(.tempfail, "tempfail", r, session)
            case .discard: return decide(.discard, "discard", nil, session)
            }
        }
        return nil
    }

    private func decide(_ d: Decision, _ name: String, _ r: SMTPReply?, _ session: Session) -> Decision {
        decided = d
        actionName = name
        session.setReply(r)
        return d
    }

    // MARK: Conditions

    private func holds(_ rule: Rule, recipients: [String]) -> Bool {
        for c in rule.conditions where !matches(c, recipients: recipients) { return false }
        for c in rule.exceptions where matches(c, recipients: recipients) { return false }
        return true
    }

    private func matches(_ c: Condition, recipients: [String]) -> Bool {
        switch c {
        case .direction(let set):
            return recipients.contains { r in direction(of: r).map { set.contains($0) } ?? false }
        case .sender(let pats):
            return pats.contains { $0.matches(address: sender) }
        case .recipient(let pats):
            return recipients.contains { r in pats.contains { $0.matches(address: r) } }
        case .header(let name, let m):
            let lower = name.lowercased()
            return headers.contains { $0.name.lowercased() == lower && m.matches(decodeEncodedWords(Array($0.value.utf8))) }
        case .subject(let m):
            return headers.contains { $0.name.lowercased() == "subject" && m.matches(decodeEncodedWords(Array($0.value.utf8))) }
        case .body(let m):
            return texts.keys.sorted().contains { i in
                m.matches(Charset.decode(texts[i]!, charset: parser.parts[i].contentType.parameters["charset"]))
            }
        case .attachment(let m):
            return parser.parts.contains { $0.isLeaf && m.matches(filename: $0.filename, mediaType: $0.contentType.mediaType) }
        case .size(let lo, let hi):
            let s = messageSize
            return (lo.map { s >= Int64($0) } ?? true) && (hi.map { s <= Int64($0) } ?? true)
        case .unscannable(let set):
            return set.isEmpty ? !unscannable.isEmpty : !unscannable.intersection(set).isEmpty
        case .limitsExceeded(let b):
            return limitsExceeded == b
        }
    }

    func direction(of recipient: String) -> Direction? {
        policy.direction(sender: sender, recipient: recipient)
    }

    // MARK: remove_attachments

    /// Parts a selector (or, without one, the rule's own part conditions) picks.
    private func selected(_ rule: Rule, _ sel: PartSelector?) -> [Int] {
        var out: [Int] = []
        for (i, part) in parser.parts.enumerated() where i > 0 || part.isLeaf {
            let kinds = partKinds[i] ?? []
            var pick = false
            if let sel {
                if let u = sel.unscannable, !kinds.isEmpty, u.isEmpty || !kinds.intersection(u).isEmpty { pick = true }
                if let a = sel.attachment, part.isLeaf, a.matches(filename: part.filename, mediaType: part.contentType.mediaType) { pick = true }
            } else {
                for c in rule.conditions {
                    switch c {
                    case .unscannable(let u) where !kinds.isEmpty && (u.isEmpty || !kinds.intersection(u).isEmpty): pick = true
                    case .attachment(let a) where part.isLeaf && a.matches(filename: part.filename, mediaType: part.contentType.mediaType): pick = true
                    default: break
                    }
                }
            }
            if pick { out.append(i) }
        }
        return out
    }

    struct Removal {
        var stream: BodyStream
        var headerEdits: [HeaderEdit]
        var removed: [String]
    }

    func attachmentRemoval(session: Session) throws -> Removal? {
        guard !removals.isEmpty else { return nil }
        var picked = Set<Int>()
        for (rule, sel) in removals { picked.formUnion(selected(rule, sel)) }
        guard !picked.isEmpty else { return nil }
        guard let spool else { throw SpoolError(message: "the body was not spooled for rewriting") }
        if let e = spool.error { throw SpoolError(message: e) }
        // An embedded message's entity goes with its message/rfc822 part.
        var targets = Set<Int>()
        for i in picked {
            var t = i
            while parser.parts[t].delimiterOffset == nil, let p = parser.parts[t].parent, parser.parts[p].kind == .message { t = p }
            targets.insert(t)
        }
        // Drop targets inside other targets.
        let top = targets.filter { i in
            var p = parser.parts[i].parent
            while let q = p { if targets.contains(q) { return false }; p = parser.parts[q].parent }
            return true
        }.sorted()
        let crlf = spool.prefix(4096).firstIndex(of: 10).map { $0 > 0 && spool.prefix(4096)[$0 - 1] == 13 } ?? true
        let eol = crlf ? "\r\n" : "\n"
        let names = top.map { i -> String in
            let p = parser.parts[i]
            return (p.filename.map { "\"\($0)\"" } ?? p.contentType.mediaType) + (partKinds[i].map { $0.isEmpty ? "" : " (" + $0.headerValue + ")" } ?? "")
        }
        let notice = "Sealmilter removed " + (top.count == 1 ? "an attachment" : "\(top.count) attachments")
            + " from this message by policy:" + eol + names.map { "  - " + $0 + eol }.joined()
        let removedPaths = top.map { parser.parts[$0].path }

        if top.contains(0) || top.contains(where: { parser.parts[$0].delimiterOffset == nil }) {
            // The whole body goes: replace it with the notice.
            let edits = [
                HeaderEdit(operation: .change, name: "Content-Type", value: "text/plain; charset=utf-8", index: 1),
                HeaderEdit(operation: .change, name: "Content-Transfer-Encoding", value: "8bit", index: 1),
            ]
            return Removal(stream: BodyStream(spool: spool, segments: [.insert(Array(notice.utf8))]), headerEdits: edits, removed: removedPaths)
        }
        var segments: [BodyStream.Segment] = []
        var pos: Int64 = 0
        var noticed = false
        for i in top {
            let part = parser.parts[i]
            let start = part.delimiterOffset!
            let end = part.endOffset >= 0 ? part.endOffset : spool.size
            if start > pos { segments.append(.copy(from: pos, to: start)) }
            if !noticed, let parent = part.parent, let b = parser.parts[parent].contentType.parameters["boundary"] {
                let text = eol + "--" + b + eol + "Content-Type: text/plain; charset=utf-8" + eol
                    + "Content-Transfer-Encoding: 8bit" + eol + "Content-Disposition: inline" + eol + eol + notice
                segments.append(.insert(Array(text.utf8)))
                noticed = true
            }
            pos = max(pos, end)
        }
        if pos < spool.size { segments.append(.copy(from: pos, to: spool.size)) }
        return Removal(stream: BodyStream(spool: spool, segments: segments), headerEdits: [], removed: removedPaths)
    }
}
