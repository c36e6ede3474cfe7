import SealEngine
import SealPolicy
import SealCrypto
#if canImport(Glibc)
import Glibc
#endif

/// The `envelope` phase's body transform: writes the new body (a notice and the
/// page) into a new spool, reading the spooled original once, so memory stays
/// bounded whatever the message's size; any failure throws (the message is then
/// tempfailed or rejected, never passed in plaintext).
final class EnvelopeTransform: BodyTransform {
    let request: EnvelopeRequest
    init(request: EnvelopeRequest) { self.request = request }
    var phase: BodyPhase { .envelope }
    var name: String { EncryptAction.key }

    func transform(_ input: BodyInput, _ context: TransformContext) throws -> BodyOutput? {
        let action = request.action, settings = request.settings
        let m = context.message
        func fail(_ reason: String) -> ClosedFailure { action.failure(reason) }
        if let by = input.changedBy { throw fail("the body was changed by \(by) first; an envelope holds the message as received") }
        if m.originalHeadersTruncated { throw fail("the header section is larger than \(MessageFacts.originalHeaderLimit) bytes") }
        let spool = input.original
        if let e = spool.error { throw fail(e) }
        let material: EnvelopeSettings.Material
        do { material = try settings.material() } catch { throw fail("\(error)") }

        let head = spool.prefix(4096)
        let crlf = head.firstIndex(of: 10).map { $0 > 0 && head[$0 - 1] == 13 } ?? true
        let eol: [UInt8] = crlf ? [13, 10] : [10]
        let eolText = crlf ? "\r\n" : "\n"

        // The envelope.
        let hint = action.hint ?? settings.hint ?? {
            switch action.passcode {
            case .generated: "The passcode was sent to you in a separate message."
            case .sender: "Ask the sender for your passcode."
            case .shared: "Use the passcode agreed with the sender's organisation."
            }
        }()
        var spec = EnvelopeSpec(recipients: request.codes.map { .init(address: $0.0, passcode: $0.1, hint: hint) }, recovery: material.recovery)
        spec.iterations = settings.iterations
        OriginalMessage.describe(m.originalHeaders, into: &spec)
        if let secret = material.reply, !m.sender.isEmpty {
            spec.replySecret = secret
            spec.replyTo = m.sender
            spec.replySubject = spec.subject.lowercased().hasPrefix("re:") ? spec.subject : "Re: " + spec.subject
        }
        let now = Int64(time(nil))
        spec.created = now
        if let e = action.expires ?? settings.expires { spec.expires = now + e }
        spec.config = material.config
        spec.rights = action.rights
        let headerBytes = OriginalMessage.serialize(m.originalHeaders, eol: eol)
        let size = Int64(headerBytes.count) + spool.size
        var reader: SpoolSegments? = nil
        var headerSent = false
        let source: () throws -> [UInt8]? = {
            if !headerSent { headerSent = true; return headerBytes }
            if reader == nil { reader = spool.reader() }
            return try reader!.next()
        }

        // The new body.
        let boundary = "=_sealmilter_" + (try SealCrypto.randomBytes(12)).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let alt = boundary + "_alt"
        let out = context.newSpool()
        let sink = SpoolSink(out)
        let noticeText = fill(settings.noticeText ?? Texts.notice(action.passcode), settings, m)
        let noticeHTML = settings.noticeHTML.map { fill($0, settings, m) } ?? Self.html(noticeText)
        var prelude = "This is an encrypted message in MIME format.\n\n--\(boundary)\nContent-Type: multipart/alternative; boundary=\"\(alt)\"\n\n"
        prelude += "--\(alt)\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        let info: EnvelopeInfo
        do {
            try sink.write(lines(prelude, eolText))
            try sink.write(QuotedPrintable.encode(noticeText, eol: eol))
            try sink.write(lines("\n--\(alt)\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n", eolText))
            try sink.write(QuotedPrintable.encode(noticeHTML, eol: eol))
            try sink.write(lines("\n--\(alt)--\n\n--\(boundary)\n", eolText))
            info = try EnvelopeWriter.write(spec, template: material.template, messageSize: size, message: source, to: sink, eol: eol) { te in
                try sink.write(lines("Content-Type: text/html; charset=us-ascii; name=\"message.html\"\nContent-Transfer-Encoding: \(te)\n"
                                     + "Content-Disposition: attachment; filename=\"message.html\"\n\n", eolText))
            }
            try sink.write(lines("\n--\(boundary)--\n", eolText))
        } catch let e as ClosedFailure {
            throw e
        } catch {
            throw fail("\(error)")
        }

        // The outer header: a multipart/mixed of our own; the original's other
        // Content-* fields go (they described the body now inside the envelope).
        var edits: [HeaderEdit] = []
        var counts: [String: Int] = [:]
        var deletes: [(String, Int)] = []
        var hasType = false, hasVersion = false
        for (name, _) in m.originalHeaders {
            let lower = name.lowercased()
            counts[lower, default: 0] += 1
            if lower == "content-type" && counts[lower] == 1 { hasType = true; continue }
            if lower == "mime-version" { hasVersion = true; continue }
            if lower.hasPrefix("content-") { deletes.append((name, counts[lower]!)) }
            if action.subject != nil || settings.subject != nil, lower == "thread-topic" || lower == "thread-index" { deletes.append((name, counts[lower]!)) }
        }
        for (name, index) in deletes.reversed() { edits.append(HeaderEdit(operation: .delete, name: name, value: nil, index: index)) }
        let type = "multipart/mixed; boundary=\"\(boundary)\""
        edits.append(HeaderEdit(operation: hasType ? .change : .add, name: "Content-Type", value: type, index: hasType ? 1 : 0))
        if !hasVersion { edits.append(HeaderEdit(operation: .add, name: "MIME-Version", value: "1.0", index: 0)) }
        let newSubject: String?? = action.subject ?? (settings.subject.map { .some($0) } ?? nil)
        if case .some(.some(let s)) = newSubject {
            let has = m.originalHeaders.contains { $0.name.lowercased() == "subject" }
            edits.append(HeaderEdit(operation: has ? .change : .add, name: "Subject", value: QuotedPrintable.encodedWord(s), index: has ? 1 : 0))
        }
        edits.append(HeaderEdit(operation: .add, name: "X-Sealmilter-Envelope", value: "v1 id=\(info.id)", index: 0))
        return BodyOutput(body: out.reader(), headerEdits: edits)
    }

    func lines(_ s: String, _ eol: String) -> String { eol == "\n" ? s : s.replacing("\n", with: eol) }

    func fill(_ t: String, _ settings: EnvelopeSettings, _ m: MessageFacts) -> String {
        t.replacing("{sender}", with: m.sender.isEmpty ? "<>" : m.sender)
            .replacing("{organisation}", with: settings.organisation ?? "the sender's organisation")
    }

    /// The plain notice as simple HTML (escaped, paragraphs kept).
    static func html(_ text: String) -> String {
        var esc = ""
        for c in text.unicodeScalars {
            switch c {
            case "&": esc += "&amp;"
            case "<": esc += "&lt;"
            case ">": esc += "&gt;"
            case "\"": esc += "&quot;"
            default: esc.unicodeScalars.append(c)
            }
        }
        let paras = esc.split(separator: "\n\n", omittingEmptySubsequences: true).map { "<p>" + $0.replacing("\n", with: "<br>\n") + "</p>" }
        return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Encrypted message</title></head>\n<body>\n"
            + paras.joined(separator: "\n") + "\n</body></html>\n"
    }
}

/// Quoted-printable (RFC 2045 6.7) for the notice parts, and RFC 2047 encoded
/// words for a replacement subject.
enum QuotedPrintable {
    static let hex = Array("0123456789ABCDEF".utf8)

    static func encode(_ text: String, eol: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let lines = text.replacing("\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            var len = 0
            let bytes = Array(line.utf8)
            for (i, b) in bytes.enumerated() {
                let last = i == bytes.count - 1
                let plain = (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 32 || b == 9) && !last)
                let enc: [UInt8] = plain ? [b] : [UInt8(ascii: "="), hex[Int(b >> 4)], hex[Int(b & 15)]]
                if len + enc.count > 75 { out += [UInt8(ascii: "=")] + eol; len = 0 }
                out += enc; len += enc.count
            }
            if n < lines.count - 1 { out += eol }
        }
        return out
    }

    static func encodedWord(_ s: String) -> String {
        if s.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) { return s }
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in s {
            let b = Array(String(ch).utf8)
            if chunk.count + b.count > 45 { words.append("=?utf-8?B?" + Base64.encode(chunk) + "?="); chunk = [] }
            chunk += b
        }
        if !chunk.isEmpty { words.append("=?utf-8?B?" + Base64.encode(chunk) + "?=") }
        return words.joined(separator: "\n ")
    }
}
