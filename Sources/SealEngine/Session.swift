import SealPolicy
import SealDetect
import SealMIME

/// One SMTP connection's state and its current message. Use from one thread at a time.
///
/// Feed it the stages in SMTP order; each returns a ``Decision``. Rules run in policy
/// order, each at the earliest stage that has its facts: sender rules at MAIL,
/// recipient and direction rules once the recipients are known (the first header),
/// header rules at the end of headers, the rest at the end of the message.
/// `reject_recipient` rules run at each RCPT for that recipient alone.
public final class Session {
    public let engine: Engine
    var policy: Policy { engine.policy }

    /// The reply that goes with the last reject/tempfail decision.
    public private(set) var reply: SMTPReply?
    public private(set) var headerEdits: [HeaderEdit] = []
    public private(set) var recipientEdits: [RecipientEdit] = []
    public private(set) var quarantineReason: String?
    public private(set) var lastError: String = ""
    /// The MTA's queue ID (macro `i`), when known.
    public private(set) var queueID: String?
    /// Whether the body must be passed (valid after end of headers).
    public private(set) var needsBody: Bool = true
    /// Whether the body must be replaced (valid after end of message).
    public var bodyReplaced: Bool { replacement != nil }
    /// The MTA macros received on this connection (names without braces).
    public private(set) var macros: [String: String] = [:]

    // Connection
    public private(set) var clientHostname: String?
    public private(set) var clientAddress: String?
    public private(set) var heloName: String?

    /// Decode every leaf completely (exact decoded sizes in reports; `sealctl scan`).
    public let decodeAll: Bool

    var message: MessageState?
    private var replacement: BodyStream?

    public init(engine: Engine, decodeAll: Bool = false) {
        self.engine = engine
        self.decodeAll = decodeAll
    }

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
        if n == "i" && !value.isEmpty { queueID = value }
    }

    public func mailFrom(_ sender: String) -> Decision {
        startMessage(sender: sender)
        return recorded(message!.advance(to: .mail, session: self))
    }

    public func rcpt(_ recipient: String) -> Decision {
        let m = ensureMessage()
        if m.decided != nil { return m.decided! }
        let address = stripAngles(recipient)
        if let r = m.recipientDecision(address, session: self) {
            reply = r
            return r.code.hasPrefix("4") ? .tempfail : .reject
        }
        m.recipients.append(address)
        return .continue
    }

    public func header(name: String, value: String) -> Decision {
        let m = ensureMessage()
        if m.decided != nil { return m.decided! }
        m.parser.header(name: name, value: value)
        m.recordHeader(name: name, value: value, session: self)
        return recorded(m.recipientsKnown(session: self))
    }

    public func endOfHeaders() -> Decision {
        let m = ensureMessage()
        if let d = m.decided { needsBody = false; return d }
        m.parser.endOfHeaders()
        return recorded(afterHeaders(m))
    }

    /// A decision that ends the message before its end is recorded in the metrics.
    private func recorded(_ d: Decision) -> Decision {
        if d != .continue { message?.recordOutcome() }
        return d
    }

    private func afterHeaders(_ m: MessageState) -> Decision {
        _ = m.recipientsKnown(session: self)
        let d = m.advance(to: .headers, session: self)
        needsBody = d == .continue && m.needsBody(session: self)
        if needsBody && m.mayRewriteBody { m.spool = BodySpool(memoryLimit: policy.spool.memoryLimit, directory: policy.spool.directory) }
        return d
    }

    public func body(_ chunk: UnsafeRawBufferPointer) -> Decision {
        let m = ensureMessage()
        if let d = m.decided { return d }
        m.parser.body(chunk)
        m.spool?.append(chunk)
        return .continue
    }

    /// A whole raw message (header section then body) in chunks of any size.
    public func raw(_ chunk: UnsafeRawBufferPointer) -> Decision {
        let m = ensureMessage()
        if !m.rawMode {
            m.rawMode = true
            if m.mayRewriteBody { m.rawLineTail = [] }
        }
        if let d = m.decided { return d }
        m.parser.raw(chunk)
        if m.rawBodyStarted {
            m.spool?.append(chunk)
            return .continue
        }
        guard m.parser.parts[0].contentOffset >= 0 else {
            keepRawLineTail(m, chunk)
            return .continue
        }
        m.rawBodyStarted = true
        let d = recorded(afterHeaders(m))
        if d != .continue { return d }
        if let spool = m.spool {
            // The body is the last `bodySize` bytes of the input so far: the end of
            // this chunk, or all of it and the end of the line begun before it.
            let bodyBytes = Int(m.parser.bodySize)
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
    private func keepRawLineTail(_ m: MessageState, _ chunk: UnsafeRawBufferPointer) {
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
        message?.recordOutcome()
        return d
    }

    private func decideEndOfMessage() -> Decision {
        let m = ensureMessage()
        if let d = m.decided { return d }
        if m.rawMode && !m.rawBodyStarted {
            m.parser.finish()
            m.rawBodyStarted = true
            let d = afterHeaders(m)
            if d != .continue { return d }
        }
        m.parser.finish()
        var d = m.advance(to: .body, session: self)
        if d == .continue { d = .accept }
        if d == .accept {
            do {
                try finishModifications(m)
            } catch {
                lastError = "\(error)"
                reply = SMTPReply(code: "451", extendedCode: "4.3.0", text: "Message could not be processed, try again later")
                m.decided = .tempfail
                m.actionName = "tempfail"
                m.failure = lastError
                return .tempfail
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
        quarantineReason = nil
        reply = nil
        needsBody = true
    }

    /// The next chunk of the replacement body, or nil at its end. Throws on spool I/O errors.
    public func readReplacementBody() throws -> [UInt8]? {
        try replacement?.next()
    }

    // MARK: Result

    private func finishModifications(_ m: MessageState) throws {
        var edits: [HeaderEdit] = []
        // Forged X-Sealmilter-* fields: delete, highest index first so indices stay valid.
        for f in m.forged.sorted(by: { $0.index > $1.index }) {
            edits.append(HeaderEdit(operation: .delete, name: f.name, value: nil, index: f.index))
        }
        if let removal = try m.attachmentRemoval(session: self) {
            replacement = removal.stream
            edits += removal.headerEdits
            m.removedParts = removal.removed
        }
        if policy.flagUnscannable && !m.unscannable.isEmpty {
            edits.append(HeaderEdit(operation: .add, name: "X-Sealmilter-Unscannable", value: m.unscannable.headerValue, index: 0))
        }
        for (name, value) in m.addedHeaders {
            edits.append(HeaderEdit(operation: .add, name: name, value: value, index: 0))
        }
        headerEdits = edits
        quarantineReason = m.quarantine
    }

    func setReply(_ r: SMTPReply?) { reply = r }

    private func startMessage(sender: String) {
        abort()
        message = MessageState(session: self, sender: stripAngles(sender))
    }

    private func ensureMessage() -> MessageState {
        if message == nil { startMessage(sender: "") }
        return message!
    }

    /// One log line for the decision (without the queue ID).
    public var logLine: String {
        guard let m = message else { return "action=none" }
        var s = "action=\(m.actionName)"
        if quarantineReason != nil { s += " quarantine" }
        s += " rules=" + (m.matchedRules.isEmpty ? "-" : m.matchedRules.joined(separator: ","))
        s += " unscannable=" + (m.unscannable.isEmpty ? "-" : m.unscannable.kinds.map(\.rawValue).joined(separator: ","))
        if !m.parser.exceeded.isEmpty { s += " limits=" + m.parser.exceeded.map(\.rawValue).sorted().joined(separator: ",") }
        if !m.removedParts.isEmpty { s += " removed=" + m.removedParts.joined(separator: ",") }
        if let r = reply, m.decided == .reject || m.decided == .tempfail { s += " reply=\"\(r.code) \(r.extendedCode) \(r.text)\"" }
        if let f = m.failure { s += " error=\"\(f)\"" }
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
