import SealEngine
import SealPolicy
import SealMIME
import SealCrypto

/// Inbound secure replies (docs/envelope-format.md, section 5) as an engine opener:
/// a message to an internal recipient that carries a `SEALMILTER SECURE REPLY`
/// block (in a text part or an attached `.txt` file) is checked with the reply key
/// the gateway recomputes from `envelope.reply_secret`, decrypted with the
/// organisation's recovery key, and — when it verifies — the rules see the
/// decrypted reply and the recipients get it, marked `X-Sealmilter-Decrypted:
/// envelope-reply` (outer From, To, Subject, Date and Message-ID kept; the reply's
/// Content-* fields replace the carrier's). A tampered, truncated or foreign block
/// is flagged `X-Sealmilter-Envelope-Reply: invalid (REASON)` and delivered as it
/// came; the log line says why. Never throws, never crashes on garbage (fuzzed:
/// Tests/fuzz/FuzzReply).
public enum EnvelopeReplyOpener: MessageOpener {
    public static let name = "envelope-reply"
    public static let flagField = "X-Sealmilter-Envelope-Reply"
    /// The largest part looked into (encoded): the armor limit and base64 overhead.
    static let maxPart: Int64 = Int64(SecureReply.maxArmor) * 3 / 2

    public static func isActive(_ settings: PolicySettings) -> Bool {
        guard let s = settings.features[EnvelopeSettings.self] else { return false }
        return s.replySecret != nil
    }

    /// Messages to an internal recipient (replies come back to the sender inside).
    public static func wants(_ message: MessageFacts) -> Bool {
        message.recipients.contains { message.settings.direction(sender: message.sender, recipient: $0) != .outbound }
    }

    public static func open(_ input: OpenerInput) -> OpenerResult {
        guard let settings = input.message.settings.features[EnvelopeSettings.self] else { return OpenerResult() }
        let parts = input.message.parser.parts
        var armor: [UInt8]? = nil
        do {
            for p in parts where p.isLeaf {
                let type = p.contentType.mediaType.lowercased()
                let txt = (p.filename ?? "").lowercased().hasSuffix(".txt")
                guard type == "text/plain" || txt else { continue }
                guard p.contentOffset >= 0 else { continue }
                let end = p.endOffset >= 0 ? p.endOffset : input.body.size
                guard end - p.contentOffset <= maxPart else { throw SecureReply.ReplyError("part larger than the armor limit") }
                let text = try decoded(input.body, from: p.contentOffset, to: end, p.transferEncoding)
                if let a = try SecureReply.armor(in: text) { armor = a; break }
            }
        } catch let e as SecureReply.ReplyError {
            return flagged(e.reason)
        } catch {
            return flagged("body unreadable")
        }
        guard let armor else { return OpenerResult() }
        do {
            let block = try SecureReply.parse(armor: armor)
            let (key, secret) = try settings.replyKeys()
            let plain = try SecureReply.open(block, replySecret: secret, organisation: key)
            let spool = input.newSpool()
            plain.withUnsafeBytes { spool.append($0) }
            if let e = spool.error { return flagged("spool: \(e)") }
            return OpenerResult(logWords: ["envelope-reply=decrypted", "envelope=" + Base64URL.encode(block.envelopeID)],
                                opened: OpenedEntity(entity: spool.reader(), deliver: true, marker: "envelope-reply"))
        } catch let e as SecureReply.ReplyError {
            return flagged(e.reason)
        } catch {
            // The gateway's own keys are missing or unreadable: deliver as it came, flagged.
            return flagged("gateway keys unusable")
        }
    }

    static func flagged(_ reason: String) -> OpenerResult {
        let safe = String(reason.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7f }.map(Character.init)).prefix(200)
        return OpenerResult(addedHeaders: [(flagField, "invalid (\(safe))")],
                            logWords: ["envelope-reply=invalid"])
    }

    /// A part's content, transfer-decoded.
    static func decoded(_ spool: BodySpool, from: Int64, to: Int64, _ te: TransferEncoding) throws -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: Int(max(0, to - from)))
        var got = 0
        while got < raw.count {
            let n = try raw.withUnsafeMutableBytes { try spool.read(at: from + Int64(got), count: $0.count - got, into: $0.baseAddress! + got) }
            if n == 0 { break }
            got += n
        }
        raw.removeLast(raw.count - got)
        switch te {
        case .base64:
            var d = Base64Decoder()
            return d.decodeAll(raw)
        case .quotedPrintable:
            var d = QuotedPrintableDecoder()
            var out = [UInt8](repeating: 0, count: QuotedPrintableDecoder.maxOutput(raw.count))
            let n = out.withUnsafeMutableBufferPointer { o -> Int in
                let k = raw.withUnsafeBytes { d.decode($0, into: o.baseAddress!) }
                return k + d.finish(into: o.baseAddress! + k)
            }
            out.removeLast(out.count - n)
            return out
        default:
            return raw
        }
    }
}
