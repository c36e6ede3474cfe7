import SealPolicy
import SealDetect
import SealMIME
import SealPattern
import SealMetrics

/// One SMTP connection's state and its current message. Use from one thread at a time.
///
/// Feed it the stages in SMTP order; each returns a ``Decision``. The session
/// keeps the stage protocol only: the message's facts are in ``MessageFacts`` (the
/// parser's handler), the rules run in a ``RuleRunner``, what they decide is in a
/// ``MessageOutcome``, and the body changes run in the body pipeline at the end.
public final class Session {
    public let engine: Engine
    var policy: Policy { engine.policy }

    /// The reply that goes with the last reject/tempfail decision.
    public private(set) var reply: SMTPReply?
    public internal(set) var headerEdits: [HeaderEdit] = []
    public internal(set) var recipientEdits: [RecipientEdit] = []
    public private(set) var quarantineReason: String?
    public internal(set) var lastError: String = ""
    /// The versions of the message (the first keeps the transaction), valid after
    /// end of message; empty when the policy makes none.
    public internal(set) var versions: [VersionRecord] = []
    /// The filter's own messages sent (or, in a dry run, to be sent) with this message.
    public internal(set) var noticesSent: [NoticeRecord] = []
    /// The message carried a submission marker that verified: it was passed untouched.
    public var markerVerified: Bool { message?.markerIndex != nil }
    /// Plan versions and notices without submitting them (`sealctl scan`).
    public let dryRun: Bool
    /// How long the submissions of this message took (nil: none were made).
    public internal(set) var submitDuration: Duration?
    /// Recipients answered 452 by the RCPT deferral, for reports.
    public internal(set) var deferredRecipients: [String] = []
    /// The MTA's queue ID (macro `i`), when known.
    public private(set) var queueID: String?
    /// Whether the body must be passed (valid after end of headers).
    public private(set) var needsBody: Bool = true
    /// Whether the body must be replaced (valid after end of message).
    public var bodyReplaced: Bool { replacement != nil }
    /// The MTA macros received on this connection (names without braces).
    public private(set) var macros: [String: String] = [:]
    /// Log words of a ``ConnectionGate``'s refusal of the current message (nil: none).
    public internal(set) var gateLog: String?
    /// A gate's refusal of a loopback client's message, held until its submission
    /// marker is checked at the end of the header section.
    var pendingGate: GateRefusal?

    // Connection
    public private(set) var clientHostname: String?
    public private(set) var clientAddress: String?
    public private(set) var heloName: String?

    /// Decode every leaf completely (exact decoded sizes in reports; `sealctl scan`).
    public let decodeAll: Bool
    /// Record every rule evaluation in a ``RuleTrace`` (`sealctl test`).
    public let explain: Bool

    /// The current message.
    final class Message {
        let facts: MessageFacts
        let runner: RuleRunner
        let outcome = MessageOutcome()
        /// The body as it arrived, kept while some action may rewrite it.
        var spool: BodySpool?
        var rawMode = false
        var rawBodyStarted = false
        /// Raw mode, while in the top header section of a message whose body may be
        /// rewritten: the bytes of earlier chunks since the last line feed. A line that
        /// turns out not to be a header field starts the body, and its first bytes may
        /// have come in earlier chunks; the spool needs them. Bounded by the longest
        /// header line the parser keeps.
        var rawLineTail: [UInt8]? = nil
        let started = ContinuousClock.now
        var recorded = false
        /// RCPT deferral: the group key of the first accepted recipient.
        var firstGroupKey: [Int]? = nil
        /// Recipients answered 452 by the RCPT deferral.
        var deferred = 0
        /// The index of a submission marker that verified (the message passes untouched).
        var markerIndex: Int? = nil
        /// The openers' state (Session+Open.swift).
        var open = OpenState()

        init(facts: MessageFacts, runner: RuleRunner) {
            self.facts = facts; self.runner = runner
        }
    }

    var message: Message?
    var replacement: (any BodySource)?
    /// The session's pattern scratch space (made on first use, kept for its messages).
    private lazy var scratch: Scratch? = engine.bodySet?.makeScratch() ?? (engine.textScan == nil ? nil : Scratch())

    public init(engine: Engine, decodeAll: Bool = false, dryRun: Bool = false, explain: Bool = false) {
        self.engine = engine
        self.decodeAll = decodeAll
        self.dryRun = dryRun
        self.explain = explain
    }

    /// The current message's rule evaluations (with ``explain``; nil otherwise).
    public var trace: RuleTrace? { message?.runner.trace }
    /// The time the current message's rules were judged at (UTC seconds; 0 when no
    /// rule has a date window).
    public var ruleTime: Int64? { message?.runner.now }

    /// The current message's facts (nil before MAIL).
    public var facts: MessageFacts? { message?.facts }
    /// The current message's outcome (nil before MAIL).
    public var outcome: MessageOutcome? { message?.outcome }

    // MARK: Stages

    public func connect(hostname: String?, address: String?) -> Decision {
        clientHostname = hostname
        clientAddress = address
        return .continue
    }

    public func helo(_ name: String) -> Decision {
        heloName = name
        return .continue
    }

    public func macro(name: String, value: String) {
        var n = name
        if n.hasPrefix("{") && n.hasSuffix("}") && n.count >= 2 { n = String(n.dropFirst().dropLast()) }
        macros[n] = value
        message?.facts.macros[n] = value
        if n == "i" && !value.isEmpty { queueID = value }
    }

    public func mailFrom(_ sender: String) -> Decision {
        let m = startMessage(sender: sender)
        if let d = gateDecision(m) { return recorded(d) }
        return recorded(m.runner.advance(to: .mail, m.facts, m.outcome))
    }

    public func rcpt(_ recipient: String) -> Decision {
        let m = ensureMessage()
        if let d = m.outcome.decision { return d }
        let address = stripAngles(recipient)
        if let r = m.runner.refusal(of: address, m.facts, m.outcome) {
            reply = r
            return r.code.hasPrefix("4") ? .tempfail : .reject
        }
        if let r = deferral(of: address, m) {
            reply = r
            deferredRecipients.append(address)
            return .tempfail
        }
        m.facts.recipients.append(address)
        return .continue
    }

    public func header(name: String, value: String) -> Decision {
        let m = ensureMessage()
        if let d = m.outcome.decision { return d }
        m.facts.parser.header(name: name, value: value)
        m.facts.recordHeader(name: name, value: value)
        // With a submission path, a marker further down may say that this message
        // is the filter's own: rules wait for the end of the header section.
        if engine.submission != nil { return .continue }
        return recorded(m.runner.recipientsKnown(m.facts, m.outcome))
    }

    public func endOfHeaders() -> Decision {
        let m = ensureMessage()
        if let d = m.outcome.decision { needsBody = false; return d }
        m.facts.parser.endOfHeaders()
        return recorded(afterHeaders(m))
    }

    /// A decision that ends the message before its end is recorded in the metrics.
    private func recorded(_ d: Decision) -> Decision {
        if d != .continue { recordOutcome() }
        if let m = message, m.outcome.decision != nil { reply = m.outcome.reply }
        return d
    }

    private func afterHeaders(_ m: Message) -> Decision {
        if checkMarker(m) {
            // Submitted by this filter for these recipients: no rule runs again.
            needsBody = false
            return .continue
        }
        if let d = pendingGateDecision(m) { return d }
        _ = m.runner.recipientsKnown(m.facts, m.outcome)
        let d = m.runner.advance(to: .headers, m.facts, m.outcome)
        let opens = d == .continue && wantsOpening(m)
        needsBody = d == .continue && (opens || m.runner.needsBody(policy.settings, m.outcome))
        if needsBody && (opens || m.runner.mayChangeBody(m.outcome)) {
            m.spool = BodySpool(memoryLimit: policy.spool.memoryLimit, directory: policy.spool.directory)
        }
        return d
    }

    public func body(_ chunk: UnsafeRawBufferPointer) -> Decision {
        let m = ensureMessage()
        if let d = m.outcome.decision { return d }
        m.facts.parser.body(chunk)
        m.spool?.append(chunk)
        return .continue
    }

    /// A whole raw message (header section then body) in chunks of any size.
    public func raw(_ chunk: UnsafeRawBufferPointer) -> Decision {
        let m = ensureMessage()
        if !m.rawMode {
            m.rawMode = true
            if m.runner.mayChangeBody(m.outcome) || !policy.openers.isEmpty { m.rawLineTail = [] }
        }
        if let d = m.outcome.decision { return d }
        m.facts.parser.raw(chunk)
        if m.rawBodyStarted {
            m.spool?.append(chunk)
            return .continue
        }
        guard m.facts.parser.parts[0].contentOffset >= 0 else {
            keepRawLineTail(m, chunk)
            return .continue
        }
        m.rawBodyStarted = true
        let d = recorded(afterHeaders(m))
        if d != .continue { return d }
        if let spool = m.spool {
            // The body is the last `bodySize` bytes of the input so far: the end of
            // this chunk, or all of it and the end of the line begun before it.
            let bodyBytes = Int(m.facts.parser.bodySize)
            let earlier = bodyBytes - chunk.count
            if earlier > 0 {
                if let tail = m.rawLineTail, earlier <= tail.count {
                    tail.suffix(earlier).withUnsafeBytes { spool.append($0) }
                } else {
                    spool.fail("the first \(earlier) bytes of the body were not kept (raw header line longer than the limit)")
                }
            }
            spool.append(UnsafeRawBufferPointer(rebasing: chunk[max(0, chunk.count - bodyBytes)...]))
        }
        m.rawLineTail = nil
        return .continue
    }

    /// Raw mode, in the top header section: keeps the input since the last line feed.
    private func keepRawLineTail(_ m: Message, _ chunk: UnsafeRawBufferPointer) {
        guard m.rawLineTail != nil else { return }
        if let lf = chunk.lastIndex(of: 10) {
            m.rawLineTail!.removeAll(keepingCapacity: true)
            m.rawLineTail!.append(contentsOf: chunk[(lf + 1)...])
        } else {
            m.rawLineTail!.append(contentsOf: chunk)
        }
        // A line that is to be body is decided on by the time the parser holds
        // max_header_bytes of it; a longer one is an overlong header field, never
        // body: its bytes need not be kept (were they needed, the spool would fail
        // closed, not guess).
        if m.rawLineTail!.count > policy.limits.maxHeaderBytes + 16 { m.rawLineTail!.removeAll(keepingCapacity: true) }
    }

    public func endOfMessage() -> Decision {
        let d = decideEndOfMessage()
        if let m = message, m.outcome.decision != nil { reply = m.outcome.reply }
        recordOutcome()
        return d
    }

    private func decideEndOfMessage() -> Decision {
        let m = ensureMessage()
        if let d = m.outcome.decision { return d }
        if m.rawMode && !m.rawBodyStarted {
            m.facts.parser.finish()
            m.rawBodyStarted = true
            let d = afterHeaders(m)
            if d != .continue { return d }
        }
        m.facts.parser.finish()
        m.facts.parsingFinished()
        if let index = m.markerIndex {
            headerEdits = [HeaderEdit(operation: .delete, name: SubmissionMarker.fieldName, value: nil, index: index)]
            return .accept
        }
        runOpeners(m)
        var d = m.runner.advance(to: .body, m.facts, m.outcome)
        if d == .continue { d = .accept }
        if d == .accept {
            do {
                let groups = m.outcome.quarantine == nil ? m.runner.groups(m.facts) : []
                if m.runner.budget.spent, m.runner.versionBudgetSpent(m.outcome) != .continue {
                    return m.outcome.decision ?? .tempfail
                }
                if let first = groups.first { m.runner.applyVersion(first, replay: false, m.facts, m.outcome) }
                try finishModifications(m)
                try submitVersions(m, groups)
            } catch {
                headerEdits = []; recipientEdits = []; replacement = nil
                lastError = "\(error)"
                m.outcome.failure = lastError
                if let f = error as? ClosedFailure, f.reject {
                    return m.outcome.decide(.reject, name: "reject", reply: f.reply)
                }
                return m.outcome.decide(.tempfail, name: "tempfail", reply: SMTPReply(
                    code: "451", extendedCode: "4.3.0", text: "Message could not be processed, try again later"))
            }
        }
        return d
    }

    /// Forgets the current message; the connection facts stay.
    public func abort() {
        message = nil
        replacement = nil
        headerEdits = []
        recipientEdits = []
        versions = []
        noticesSent = []
        submitDuration = nil
        deferredRecipients = []
        quarantineReason = nil
        reply = nil
        gateLog = nil
        pendingGate = nil
        needsBody = true
    }

    /// The next chunk of the replacement body, or nil at its end. Throws on spool I/O errors.
    public func readReplacementBody() throws -> [UInt8]? {
        try replacement?.next()
    }

    // MARK: Result

    private func finishModifications(_ m: Message) throws {
        let (edits, body) = try result(m, m.outcome)
        replacement = body
        headerEdits = edits
        quarantineReason = m.outcome.quarantine
    }

    /// The header edits and new body (nil: unchanged) of one version: the message's
    /// outcome, or another version's.
    func result(_ m: Message, _ outcome: MessageOutcome) throws -> ([HeaderEdit], (any BodySource)?) {
        var edits: [HeaderEdit] = []
        // Forged X-Sealmilter-* fields: delete, highest index first so indices stay valid.
        for f in m.facts.forged.sorted(by: { $0.index > $1.index }) {
            edits.append(HeaderEdit(operation: .delete, name: f.name, value: nil, index: f.index))
        }
        // Each action's contribution, then the body pipeline over its transforms.
        let end = EndOfMessageContext(message: m.facts, outcome: outcome)
        end.dryRun = dryRun
        for c in outcome.contributionOrder { try c.endOfMessage(end) }
        edits += end.headerEdits
        let (changed, bodyEdits) = try BodyPipeline.run(end.transforms, original: m.open.body ?? m.spool,
                                                        context: TransformContext(message: m.facts, outcome: outcome))
        edits += openedEdits(m, bodyChanged: changed != nil)
        let body = changed ?? openedBody(m)
        edits += bodyEdits
        if outcome.budgetExceeded || m.outcome.budgetExceeded { m.facts.budgetExhausted() }
        let kinds = m.facts.unscannable
        if policy.flagUnscannable && !kinds.isEmpty {
            edits.append(HeaderEdit(operation: .add, name: "X-Sealmilter-Unscannable", value: kinds.headerValue, index: 0))
        }
        for (name, value) in outcome.addedHeaders {
            edits.append(HeaderEdit(operation: .add, name: name, value: value, index: 0))
        }
        // Inserts last: the changes and deletes above count fields as received.
        edits += openedInserts(m)
        return (edits, body)
    }

    @discardableResult
    private func startMessage(sender: String) -> Message {
        abort()
        let runner = RuleRunner(rules: policy.rules, evaluation: policy.evaluation,
                                now: engine.hasDateWindows || explain ? engine.clock() : 0)
        if explain { runner.trace = RuleTrace() }
        let facts = MessageFacts(sender: stripAngles(sender), settings: policy.settings, macros: macros,
                                 collectText: engine.readsText, collectParts: engine.readsParts, decodeAll: decodeAll, budget: runner.budget,
                                 bodySet: engine.bodySet, scratch: engine.bodySet == nil && engine.textScan == nil ? nil : scratch,
                                 textScan: engine.textScan)
        facts.keepsOriginalHeaders = engine.keepsOriginalHeaders
        let m = Message(facts: facts, runner: runner)
        message = m
        return m
    }

    private func ensureMessage() -> Message {
        message ?? startMessage(sender: "")
    }

    /// Records the message's outcome in the metrics, once.
    private func recordOutcome() {
        guard let m = message, !m.recorded else { return }
        m.recorded = true
        if m.outcome.failure != nil { Metrics.error(stage: "end-of-message") }
        Metrics.message(action: m.outcome.actionName, rules: m.outcome.matchedRules,
                        unscannable: m.facts.unscannable.kinds.map(\.rawValue),
                        limitsExceeded: m.facts.limitsExceeded || m.outcome.budgetExceeded,
                        duration: ContinuousClock.now - m.started)
    }

    /// One log line for the decision (without the queue ID).
    public var logLine: String {
        guard let m = message else { return "action=none" }
        let o = m.outcome
        var s = "action=\(o.actionName)"
        if m.markerIndex != nil { s += " marker=verified" }
        if quarantineReason != nil { s += " quarantine" }
        s += " rules=" + (o.matchedRules.isEmpty ? "-" : o.matchedRules.joined(separator: ","))
        s += " unscannable=" + (m.facts.unscannable.isEmpty ? "-" : m.facts.unscannable.kinds.map(\.rawValue).joined(separator: ","))
        var limits = m.facts.parser.exceeded.map(\.rawValue).sorted()
        if o.budgetExceeded { limits.append("max-rule-cpu") }
        if !limits.isEmpty { s += " limits=" + limits.joined(separator: ",") }
        if !o.removedParts.isEmpty { s += " removed=" + o.removedParts.joined(separator: ",") }
        // Audit rules that held: what they would have done (nothing was applied).
        if !o.audited.isEmpty { s += " audit=\"" + Self.logText(o.audited.joined(separator: "; ")) + "\"" }
        if let r = o.reply, o.decision == .reject || o.decision == .tempfail { s += " reply=\"\(r.code) \(r.extendedCode) \(r.text)\"" }
        if let g = gateLog { s += " " + g }
        s += versionsLog
        if m.deferred > 0 { s += " deferred=\(m.deferred)" }
        if let f = o.failure { s += " error=\"\(f)\"" }
        for note in o.notes { s += " " + note }
        s += openerLog(m)
        // Connection facts, when the MTA passed them (milter.macros: all).
        if let client = clientAddress ?? macros["client_addr"], !client.isEmpty { s += " client=\(Self.logSafe(client))" }
        if let v = macros["tls_version"], !v.isEmpty {
            s += " tls=\(Self.logSafe(v))"
            if let c = macros["cipher"], !c.isEmpty { s += " cipher=\(Self.logSafe(c))" }
        }
        if let a = macros["auth_authen"], !a.isEmpty { s += " auth=\(Self.logSafe(a))" }
        return s
    }
}

extension Session {
    /// Text inside a quoted log value: quotes and control characters become '_'.
    static func logText(_ v: String) -> String {
        String(String.UnicodeScalarView(v.unicodeScalars.map { $0.value < 0x20 || $0 == "\"" || $0.value == 0x7f ? "_" : $0 }))
    }

    /// A value from the client as one log word: spaces, quotes and control characters become '_'.
    static func logSafe(_ v: String) -> String {
        String(String.UnicodeScalarView(v.unicodeScalars.map { $0.value <= 0x20 || $0 == "\"" || $0.value == 0x7f ? "_" : $0 }))
    }
}

func stripAngles(_ a: String) -> String {
    var s = Substring(a).trimmingPrefix(while: { $0 == " " })
    if s.hasPrefix("<") { s = s.dropFirst() }
    if let close = s.firstIndex(of: ">") { s = s[..<close] }
    return String(s)
}

extension Substring {
    fileprivate func trimmingPrefix(while p: (Character) -> Bool) -> Substring {
        var s = self
        while let c = s.first, p(c) { s = s.dropFirst() }
        return s
    }
}
