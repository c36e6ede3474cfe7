import SealMIME
import SealPolicy
import SealSubmit
import SealCrypto
#if canImport(Glibc)
import Glibc
#endif

/// One version of a message, for a report and the log line.
public struct VersionRecord: Sendable, Equatable {
    /// Its envelope recipients.
    public var recipients: [String]
    /// The `for_each_recipient` rules that held for them.
    public var rules: [String]
    /// Whether it stays in the SMTP transaction (the first group) or is submitted.
    public var keepsTransaction: Bool
    /// Header fields added or changed for it, as `Name: value` (the first version's are
    /// the session's header edits).
    public var headerChanges: [String]
    public var bodyReplaced: Bool
    /// The MTA's queue ID of the submitted message ("" when the MTA gives none, nil in a dry run).
    public var queueID: String?
}

/// A message of the filter's own, for a report and the log line.
public struct NoticeRecord: Sendable, Equatable {
    public var to: [String]
    public var subject: String
    public var sender: String
    public var queueID: String?
}

extension Session {
    // MARK: RCPT deferral

    /// `submission.rcpt_deferral`: the 452 reply for a recipient whose group differs
    /// from the first accepted recipient's (nil: accept it). Only when every
    /// `for_each_recipient` rule is judged on the envelope.
    func deferral(of address: String, _ m: Message) -> SMTPReply? {
        guard let sub = engine.submission?.settings, sub.rcptDeferral, m.runner.versionsDecidedAtRCPT else { return nil }
        let key = m.runner.versionKey(of: address, m.facts)
        guard let first = m.firstGroupKey else { m.firstGroupKey = key; return nil }
        guard key != first else { return nil }
        m.deferred += 1
        return SMTPReply(code: "452", extendedCode: "4.5.3", text: sub.deferralText)
    }

    // MARK: Markers

    /// Whether the message carries a submission marker that verifies for this
    /// transaction (then ``Message/markerIndex`` is set). Markers that do not
    /// verify stay in the forged fields and are removed. A marker counts only on
    /// a message from a loopback client (the submission path is local), so one
    /// copied from a delivered message and sent from elsewhere never passes.
    func checkMarker(_ m: Message) -> Bool {
        guard !m.facts.markers.isEmpty, let setup = engine.submission, let key = setup.key else { return false }
        let client = clientAddress ?? macros["client_addr"] ?? ""
        guard Self.isLoopback(client) else { return false }
        let id = m.facts.headers.first { $0.name.lowercased() == "message-id" }?.value ?? ""
        let now = Int64(time(nil))
        let maxAge = Int64(setup.settings.markerMaxAge.components.seconds)
        for mk in m.facts.markers where SubmissionMarker.verify(mk.value, key: key, messageID: id, sender: m.facts.sender,
                                                                 recipients: m.facts.recipients, now: now, maxAge: maxAge) {
            m.markerIndex = mk.index
            return true
        }
        return false
    }

    // MARK: Versions and notices

    /// Builds and submits every version but the first, and the notices of all
    /// versions. All must be accepted by the MTA, or this throws (the message is then
    /// tempfailed, so the sending MTA keeps it). On success the submitted
    /// recipients are removed from the original transaction.
    func submitVersions(_ m: Message, _ groups: [RecipientGroup]) throws {
        versions = []
        noticesSent = []
        var outcomes: [MessageOutcome] = [m.outcome]
        var planned: [(RecipientGroup, [HeaderEdit], (any BodySource)?)] = []
        if groups.count > 1 {
            guard let spool = m.spool else { throw VersionError("the body was not kept for the other versions") }
            if let e = spool.error { throw VersionError(e) }
            if m.facts.originalHeadersTruncated {
                throw VersionError("the header section is larger than \(MessageFacts.originalHeaderLimit) bytes; other versions of the message cannot be built")
            }
            for g in groups.dropFirst() {
                let o = MessageOutcome()
                m.runner.applyVersion(g, replay: true, m.facts, o)
                let (edits, body) = try result(m, o)
                outcomes.append(o)
                planned.append((g, edits, body))
            }
        }
        // The first version: what the transaction gets.
        if let first = groups.first {
            versions.append(VersionRecord(recipients: first.recipients, rules: first.ruleNames, keepsTransaction: true,
                                          headerChanges: Self.changes(headerEdits), bodyReplaced: replacement != nil,
                                          queueID: nil))
        }
        let notices = outcomes.flatMap { $0.notices.dropFirst($0.replayedNotices) }
        guard !planned.isEmpty || !notices.isEmpty else { return }
        guard let setup = engine.submission else { throw VersionError("the policy has no submission section") }
        guard dryRun || setup.key != nil else { throw VersionError(setup.keyProblem ?? "no marker key") }
        let key = setup.key ?? []
        let now = Int64(time(nil))

        var deletes: [RecipientEdit] = []
        let started = ContinuousClock.now
        defer { if !dryRun { submitDuration = ContinuousClock.now - started } }
        for (g, edits, body) in planned {
            // The MTA does not pass its own Received field to milters: record the hop
            // the original came by (and its queue ID), so the trace stays whole. It
            // stands where the MTA's is in the original: inserts count it.
            var fields = HeaderEdit.apply(edits, to: m.facts.originalHeaders,
                                          mtaReceived: ("Received", receivedValue(now: now)))
            var id = fields.first { $0.name.lowercased() == "message-id" }?.value
            if id == nil {
                // The marker binds the Message-ID: a version without one gets one.
                let new = try Self.newMessageID()
                fields.append(("Message-ID", new)); id = new
            }
            var record = VersionRecord(recipients: g.recipients, rules: g.ruleNames, keepsTransaction: false,
                                       headerChanges: Self.changes(edits), bodyReplaced: body != nil, queueID: nil)
            if !dryRun {
                let marker = try SubmissionMarker.value(key: key, messageID: id ?? "", sender: m.facts.sender,
                                                        recipients: g.recipients, time: now)
                fields.insert((SubmissionMarker.fieldName, marker), at: 0)
                let source = body ?? m.spool!.reader()
                do {
                    record.queueID = try setup.submitter.submit(sender: m.facts.sender, recipients: g.recipients,
                                                                header: Self.serialize(fields), body: { try source.next() })
                } catch {
                    throw VersionError("version for \(g.recipients.count) recipient(s) not submitted: \(error)")
                }
                for r in g.recipients { deletes.append(RecipientEdit(operation: .delete, address: r)) }
            }
            versions.append(record)
        }
        for n in notices {
            let sender = n.nullSender ? "" : setup.settings.noticeSender
            var record = NoticeRecord(to: n.to, subject: n.subject, sender: sender, queueID: nil)
            if !dryRun {
                let (fields, body) = try Self.noticeMessage(n, settings: setup.settings)
                let id = fields.first { $0.name == "Message-ID" }!.value
                let marker = try SubmissionMarker.value(key: key, messageID: id, sender: sender, recipients: n.to, time: now)
                let all = [(name: SubmissionMarker.fieldName, value: marker)] + fields
                var sent = false
                do {
                    record.queueID = try setup.submitter.submit(sender: sender, recipients: n.to, header: Self.serialize(all),
                                                                body: { if sent { return nil }; sent = true; return body })
                } catch {
                    throw VersionError("notice to \(n.to.count) recipient(s) not submitted: \(error)")
                }
            }
            noticesSent.append(record)
        }
        recipientEdits += deletes
    }

    /// 127.0.0.0/8, ::1 and ::ffff:127.x.y.z (`IPv6:` prefix allowed, as Postfix writes it).
    static func isLoopback(_ address: String) -> Bool {
        var a = Substring(address.lowercased())
        if a.hasPrefix("ipv6:") { a = a.dropFirst(5) }
        if a.hasPrefix("::ffff:") { a = a.dropFirst(7) }
        if a == "::1" || a == "0:0:0:0:0:0:0:1" { return true }
        let p = a.split(separator: ".", omittingEmptySubsequences: false)
        return p.count == 4 && p[0] == "127" && p.allSatisfy { UInt8($0) != nil }
    }

    /// `from HELO (NAME [ADDRESS]) by HOST (Sealmilter) id QUEUEID; DATE`: the hop the
    /// original arrived by, for the versions submitted anew.
    func receivedValue(now: Int64) -> String {
        func word(_ s: String?) -> String? {
            guard let s, !s.isEmpty else { return nil }
            let w = Self.logSafe(s)
            return w.count > 200 ? String(w.prefix(200)) : w
        }
        var v = ""
        let addr = word(clientAddress ?? macros["client_addr"])
        if let helo = word(heloName) ?? word(clientHostname) ?? addr {
            v += "from \(helo)"
            var info: [String] = []
            if let n = word(clientHostname) { info.append(n) }
            if let a = addr { info.append("[\(a)]") }
            if !info.isEmpty { v += " (" + info.joined(separator: " ") + ")" }
            v += "\n\t"
        }
        v += "by \(Self.hostname()) (Sealmilter, version for other recipients)"
        if let q = word(queueID) { v += " id \(q)" }
        return v + ";\n\t" + Self.rfc5322Date(time_t(now))
    }

    /// ` versions=N resubmitted=QID,... notices=QID,...` for the log line.
    var versionsLog: String {
        var s = ""
        if versions.count > 1 {
            s += " versions=\(versions.count)"
            let ids = versions.dropFirst().map { $0.queueID.map { $0.isEmpty ? "sent" : $0 } ?? "planned" }
            s += " resubmitted=" + ids.joined(separator: ",")
        }
        if !noticesSent.isEmpty {
            s += " notices=" + noticesSent.map { $0.queueID.map { $0.isEmpty ? "sent" : $0 } ?? "planned" }.joined(separator: ",")
        }
        // How long the submissions took: the duplicate window is about this long.
        if let d = submitDuration, versions.count > 1 || !noticesSent.isEmpty {
            let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
            s += " submit_ms=" + String(Int(ms.rounded(.up)))
        }
        return s
    }

    /// `Name: value` lines (LF; the submitter makes CRLF).
    static func serialize(_ fields: [(name: String, value: String)]) -> [UInt8] {
        HeaderFields.serialize(fields, eol: [10])
    }

    static func changes(_ edits: [HeaderEdit]) -> [String] {
        edits.map(\.summary)
    }

    static func newMessageID() throws -> String {
        let r = try SealCrypto.randomBytes(12)
        let hex = r.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        return "<\(hex).sealmilter@\(hostname())>"
    }

    static func hostname() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "localhost" }
        let h = String(cString: buf)
        return h.isEmpty ? "localhost" : h
    }

    /// A notice's header fields and body.
    static func noticeMessage(_ n: Notice, settings: SubmissionSettings) throws -> ([(name: String, value: String)], [UInt8]) {
        let from = !settings.noticeFrom.isEmpty ? settings.noticeFrom
            : !settings.noticeSender.isEmpty ? settings.noticeSender : "MAILER-DAEMON@\(hostname())"
        var fields: [(name: String, value: String)] = [
            ("From", from),
            ("To", n.to.map(oneLine).joined(separator: ", ")),
            ("Subject", encodeWord(oneLine(n.subject))),
            ("Date", rfc5322Date(time(nil))),
            ("Message-ID", try newMessageID()),
            ("Auto-Submitted", "auto-generated"),
            ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "8bit"),
        ]
        for (name, value) in n.headers { fields.append((name, oneLine(value))) }
        var text = n.text
        if !text.hasSuffix("\n") { text += "\n" }
        return (fields, Array(text.utf8))
    }

    /// Control characters (line breaks included) become spaces: no header injection.
    static func oneLine(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? " " : $0 }))
    }

    /// RFC 2047 B-encoding for a non-ASCII header text (short texts: one word per 45 bytes).
    static func encodeWord(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { !$0.isASCII }) else { return s }
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in s {
            let b = Array(String(ch).utf8)
            if chunk.count + b.count > 45 { words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?="); chunk = [] }
            chunk += b
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=") }
        return words.joined(separator: "\n ")
    }

    static func rfc5322Date(_ t: time_t) -> String {
        var tt = t
        var tmv = tm()
        gmtime_r(&tt, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, buf.count, "%a, %d %b %Y %H:%M:%S +0000", &tmv)
        return n > 0 ? String(cString: buf) : "Thu, 01 Jan 1970 00:00:00 +0000"
    }
}

/// Why other versions or notices could not be sent (the message is tempfailed).
struct VersionError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
