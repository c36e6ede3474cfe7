import SealCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Everything an envelope is made of besides the message (docs/envelope-format.md).
public struct EnvelopeSpec {
    public struct Recipient {
        public var address: String
        /// The passcode (never logged, never written anywhere but into PBKDF2).
        public var passcode: String
        public var hint: String?
        public init(address: String, passcode: String, hint: String? = nil) {
            self.address = address; self.passcode = passcode; self.hint = hint
        }
    }
    public var recipients: [Recipient]
    /// The organisation's recovery public key.
    public var recovery: P256Key
    public var iterations: Int = EnvelopeFormat.minimumIterations
    /// The reply secret (nil: no secure replies) and where replies go.
    public var replySecret: [UInt8]?
    public var replyTo: String = ""
    public var replySubject: String = ""
    /// Seconds since the epoch; nil: never.
    public var expires: Int64?
    /// The display config (branding) JSON.
    public var config: JSON = .object([])
    /// Issue 13's rights object (nil: none).
    public var rights: JSON?
    /// Display copies of the original's header values.
    public var from = "", to: [String] = [], cc: [String] = [], subject = "", date = "", messageID = ""
    /// The creation time (seconds since the epoch); now when nil.
    public var created: Int64?

    public init(recipients: [Recipient], recovery: P256Key) { self.recipients = recipients; self.recovery = recovery }
}

/// What was written: the id (for logs) and the page's transfer encoding.
public struct EnvelopeInfo: Sendable {
    public var id: String
    /// `7bit` or `quoted-printable`.
    public var transferEncoding: String
    public var payloadSize: Int64
}

/// Writes an envelope page: the wraps, the header, then the payload encrypted
/// chunk by chunk as it streams in (memory: a chunk, not the message).
public enum EnvelopeWriter {
    /// The randomness the writer uses; tests replace it for fixed vectors.
    nonisolated(unsafe) static var random: (Int) throws -> [UInt8] = { try SealCrypto.randomBytes($0) }

    /// Writes the page for `spec` to `sink`. The original message is `messageSize`
    /// bytes that `message` yields in chunks (nil at the end); fewer or more is an
    /// error. `eol` is the line end of the output (`\r\n` in a message body).
    public static func write(_ spec: EnvelopeSpec, template: PageTemplate, messageSize: Int64,
                             message: () throws -> [UInt8]?, to sink: any ByteSink, eol: [UInt8] = [10],
                             beforePage: (_ transferEncoding: String) throws -> Void = { _ in }) throws -> EnvelopeInfo {
        guard !spec.recipients.isEmpty else { throw EnvelopeError.failed("an envelope needs at least one recipient") }
        guard spec.iterations >= EnvelopeFormat.minimumIterations else {
            throw EnvelopeError.failed("PBKDF2 iterations below \(EnvelopeFormat.minimumIterations)")
        }
        let id = try random(EnvelopeFormat.idSize)
        let ck = try random(32)
        let kcontent = try EnvelopeFormat.contentKey(ck: ck, id: id)

        // Recipient wraps.
        var wraps: [JSON] = []
        for r in spec.recipients {
            let salt = try random(16), nonce = try random(12)
            let kwrap = try EnvelopeFormat.wrapKey(passcode: r.passcode, salt: salt, iterations: spec.iterations)
            let wrapped = try AESGCM.seal(key: kwrap, nonce: nonce, aad: EnvelopeFormat.wrapLabel + id, ck)
            var m: [(String, JSON)] = [("address", .string(r.address))]
            if let h = r.hint, !h.isEmpty { m.append(("hint", .string(h))) }
            m += [("salt", .string(Base64.encode(salt))), ("nonce", .string(Base64.encode(nonce))), ("wrapped", .string(Base64.encode(wrapped)))]
            wraps.append(.object(m))
        }
        // Recovery wrap.
        let eph = try ephemeralKey()
        let orgSPKI = try spec.recovery.spkiDER()
        let krec = try EnvelopeFormat.ecdhKey(shared: try eph.sharedSecret(with: spec.recovery), id: id, info: EnvelopeFormat.recoveryLabel)
        let rnonce = try random(12)
        let rwrapped = try AESGCM.seal(key: krec, nonce: rnonce, aad: EnvelopeFormat.recoveryLabel + id, ck)
        let recovery: JSON = .object([
            ("alg", .string("ECDH-P256")), ("kid", .string(Base64URL.encode(try SealCrypto.sha256(orgSPKI)))),
            ("public", .string(Base64.encode(orgSPKI))), ("epk", .string(Base64.encode(try eph.spkiDER()))),
            ("nonce", .string(Base64.encode(rnonce))), ("wrapped", .string(Base64.encode(rwrapped))),
        ])

        // Meta.
        var reply: JSON = .null
        if let secret = spec.replySecret {
            reply = .object([("key", .string(Base64.encode(try EnvelopeFormat.replyKey(secret: secret, id: id)))),
                             ("to", .string(spec.replyTo)), ("subject", .string(spec.replySubject))])
        }
        let meta: JSON = .object([
            ("v", .int(1)), ("from", .string(spec.from)), ("to", .array(spec.to.map { .string($0) })),
            ("cc", .array(spec.cc.map { .string($0) })), ("subject", .string(spec.subject)), ("date", .string(spec.date)),
            ("message_id", .string(spec.messageID)), ("expires", spec.expires.map { .string(rfc3339($0)) } ?? .null),
            ("reply", reply), ("rights", spec.rights ?? .null),
        ])
        let metaBytes = Array(meta.text.utf8)
        guard metaBytes.count <= EnvelopeFormat.maxMetaSize else { throw EnvelopeError.failed("the meta data is larger than 1 MiB") }
        let size = 4 + Int64(metaBytes.count) + messageSize

        var header: [(String, JSON)] = [
            ("format", .string(EnvelopeFormat.formatName)), ("version", .int(EnvelopeFormat.version)),
            ("id", .string(Base64URL.encode(id))), ("created", .string(rfc3339(spec.created ?? Int64(time(nil))))),
            ("cipher", .string("AES-256-GCM")), ("chunk", .int(Int64(EnvelopeFormat.chunkSize))), ("size", .int(size)),
            ("kdf", .object([("name", .string("PBKDF2-SHA-256")), ("iterations", .int(Int64(spec.iterations)))])),
            ("recipients", .array(wraps)), ("recovery", recovery),
        ]
        if let e = spec.expires { header.append(("expires", .string(rfc3339(e)))) }
        let headerText = lined(.object(header))
        let configText = lined(spec.config)

        let encoding: PageText.Encoding = template.longestLine(header: headerText, config: configText) > 998 ? .quotedPrintable : .sevenBit
        try beforePage(encoding == .sevenBit ? "7bit" : "quoted-printable")
        let out = PageText(sink, eol: eol, encoding: encoding)
        var streamed: Int64 = 0
        try template.write(to: out, header: headerText, config: configText) {
            let lines = Base64Lines(out)
            let sealer = try ChunkSealer(key: kcontent, id: id) { try lines.write($0) }
            let n = UInt32(metaBytes.count)
            try sealer.write([UInt8(n >> 24), UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)] + metaBytes)
            while let chunk = try message() {
                streamed += Int64(chunk.count)
                if streamed > messageSize { break }
                try sealer.write(chunk)
            }
            guard streamed == messageSize else {
                throw EnvelopeError.failed("the message was \(streamed > messageSize ? "longer" : "shorter") than its \(messageSize) bytes")
            }
            try sealer.finish()
            try lines.finish()
        }
        try out.finish()
        return EnvelopeInfo(id: Base64URL.encode(id), transferEncoding: encoding == .sevenBit ? "7bit" : "quoted-printable", payloadSize: size)
    }

    static func ephemeralKey() throws -> P256Key { try P256Key.generate() }

    /// JSON text with a line break between the members of objects and arrays that
    /// would make long lines (recipients), so that lines stay short (7bit).
    static func lined(_ v: JSON) -> [UInt8] {
        var out: [UInt8] = []
        func w(_ v: JSON, depth: Int) {
            switch v {
            case .array(let a) where depth < 2:
                out.append(UInt8(ascii: "["))
                for (i, x) in a.enumerated() { if i > 0 { out.append(UInt8(ascii: ",")) }; out.append(10); w(x, depth: depth + 1) }
                out.append(UInt8(ascii: "]"))
            case .object(let m) where depth < 2:
                out.append(UInt8(ascii: "{"))
                for (i, (k, x)) in m.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(10)
                    JSON.writeString(k, into: &out); out.append(UInt8(ascii: ":"))
                    w(x, depth: depth + 1)
                }
                out.append(UInt8(ascii: "}"))
            default: v.write(into: &out)
            }
        }
        w(v, depth: 0)
        return out
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public static func rfc3339(_ t: Int64) -> String {
        var tt = time_t(t)
        var tm = tm()
        gmtime_r(&tt, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))Z"
    }
}
