import SealCrypto

/// The marker every message the filter submits carries, so that the filter
/// recognises it when it comes back through the MTA and passes it untouched:
///
///     X-Sealmilter-Submitted: v=1; t=UNIXTIME; h=BASE64(HMAC-SHA-256(key, input))
///
/// where the input binds the Message-ID, the envelope sender, the envelope
/// recipients (sorted, lowercased) and the time. A marker verifies only with the
/// right key, for the same Message-ID, sender and recipients as the transaction it
/// arrives in, and while fresh (`submission.marker_max_age`, 10 minutes by
/// default). One that does not verify is removed like any other `X-Sealmilter-*`
/// field and gives no pass.
public enum SubmissionMarker {
    public static let fieldName = "X-Sealmilter-Submitted"

    /// The field value for a message.
    public static func value(key: [UInt8], messageID: String, sender: String, recipients: [String],
                             time: Int64) throws(CryptoError) -> String {
        let mac = try SealCrypto.hmacSHA256(key: key, message: input(messageID: messageID, sender: sender,
                                                                     recipients: recipients, time: time))
        return "v=1; t=\(time); h=\(Base64.encode(mac))"
    }

    /// Whether `value` is a marker made with `key` for this Message-ID, sender and
    /// recipients, no older than `maxAge` seconds (and at most a minute ahead).
    public static func verify(_ value: String, key: [UInt8], messageID: String, sender: String, recipients: [String],
                              now: Int64, maxAge: Int64) -> Bool {
        var tags: [String: String] = [:]
        for part in value.split(separator: ";") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { return false }
            let k = trim(kv[0]), v = trim(kv[1])
            guard tags[k] == nil else { return false }
            tags[k] = v
        }
        guard tags.count == 3, tags["v"] == "1", let ts = tags["t"], let t = Int64(ts), let h = tags["h"],
              let mac = Base64.decode(h), mac.count == 32 else { return false }
        guard t <= now + 60, now - t <= maxAge else { return false }
        guard let want = try? SealCrypto.hmacSHA256(key: key, message: input(messageID: messageID, sender: sender,
                                                                          recipients: recipients, time: t)) else { return false }
        return SealCrypto.constantTimeEqual(mac, want)
    }

    static func input(messageID: String, sender: String, recipients: [String], time: Int64) -> [UInt8] {
        var s = "sealmilter-submitted-v1\n" + normalizeID(messageID) + "\n" + sender.lowercased() + "\n"
        s += recipients.map { $0.lowercased() }.sorted().joined(separator: "\n")
        s += "\n\(time)"
        return Array(s.utf8)
    }

    /// A Message-ID value without surrounding white space and line breaks (folding).
    static func normalizeID(_ v: String) -> String {
        String(String.UnicodeScalarView(v.unicodeScalars.filter { $0 != "\r" && $0 != "\n" && $0 != " " && $0 != "\t" }))
    }

    private static func trim(_ s: Substring) -> String {
        var t = s
        while let f = t.first, f == " " || f == "\t" || f == "\r" || f == "\n" { t.removeFirst() }
        while let l = t.last, l == " " || l == "\t" || l == "\r" || l == "\n" { t.removeLast() }
        return String(t)
    }
}
