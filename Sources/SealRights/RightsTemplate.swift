import SealPolicy
import SealEnvelope

/// A rights template: what the recipients of a protected message may do with it.
/// The envelope's viewer enforces the reading restrictions (``meta``), the gateway
/// enforces Do Not Forward (``noForward``) on the way out.
public struct RightsTemplate: Sendable, Equatable {
    /// Its name in the policy (`do-not-forward`, `encrypt-only`, or a custom one).
    public var name: String
    /// Not to be forwarded: the gateway refuses mail that carries or refers to it
    /// to anyone who was not on the original message; the viewer has no forward path.
    public var noForward = false
    /// The viewer's reply goes to the original sender only.
    public var noReplyAll = false
    /// The viewer offers no printing and its print styles blank the page.
    public var noPrint = false
    /// The viewer blocks selection and copying.
    public var noCopy = false
    /// Access ends this many seconds after the message was sent (nil: never).
    public var expirySeconds: Int64? = nil
    /// The viewer shows the recipient's address and the date over the content.
    public var watermark = false
    /// Whether the recipient may reply (through the viewer's secure reply).
    public var reply = true
    /// What the gateway does with a message that forwards it to others.
    public var violation: Violation = .default

    /// What a Do Not Forward violation gets: refused or held, and the reply text.
    public struct Violation: Sendable, Equatable {
        public enum Action: String, Sendable { case reject, quarantine }
        public var action: Action
        /// The SMTP reply (reject) or the hold reason (quarantine); `{message_id}`
        /// is replaced by the protected message's Message-ID.
        public var reply: SMTPReply
        public static let `default` = Violation(action: .reject, reply: SMTPReply(
            code: "550", extendedCode: "5.7.1",
            text: "Do Not Forward: this message carries or answers protected message {message_id}; it may only go to that message's sender and recipients"))
    }

    public init(name: String) { self.name = name }

    /// The built-in templates.
    public static let builtin: [String: RightsTemplate] = {
        var dnf = RightsTemplate(name: "do-not-forward")
        dnf.noForward = true; dnf.noPrint = true; dnf.noCopy = true; dnf.watermark = true
        return ["do-not-forward": dnf, "encrypt-only": RightsTemplate(name: "encrypt-only")]
    }()

    /// Whether it restricts anything beyond encryption.
    public var restricts: Bool {
        noForward || noReplyAll || noPrint || noCopy || expirySeconds != nil || watermark || !reply
    }

    /// The payload meta's `rights` object (docs/envelope-format.md) for the
    /// envelope writer, the expiry counted from `sent`.
    public func metaRights(sent: Int64) -> JSON {
        .object([("template", .string(name)), ("no_forward", .bool(noForward)), ("no_reply_all", .bool(noReplyAll)),
                 ("no_print", .bool(noPrint)), ("no_copy", .bool(noCopy)), ("watermark", .bool(watermark)),
                 ("reply", .bool(reply)), ("expires", expirySeconds.map { .string(RFC3339.format(sent + $0)) } ?? .null)])
    }

    /// The payload meta's `rights` object (docs/envelope-format.md), as JSON, with
    /// the expiry as an RFC 3339 time counted from `sent` (seconds since 1970).
    public func metaJSON(sent: Int64) -> String {
        let expires = expirySeconds.map { "\"" + RFC3339.format(sent + $0) + "\"" } ?? "null"
        return "{\"template\":\"\(name)\",\"no_forward\":\(noForward),\"no_reply_all\":\(noReplyAll),\"no_print\":\(noPrint),"
            + "\"no_copy\":\(noCopy),\"watermark\":\(watermark),\"reply\":\(reply),\"expires\":\(expires)}"
    }
}

/// RFC 3339 UTC times (`2026-11-30T10:00:00Z`) without Foundation.
enum RFC3339 {
    static func format(_ t: Int64) -> String {
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        // Civil from days (Howard Hinnant's algorithm).
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        var y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        if m <= 2 { y += 1 }
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z"
    }
}

/// `2026-11-30T10:00:00Z` for a time in seconds since 1970 (UTC).
public func RFC3339String(_ t: Int64) -> String { RFC3339.format(t) }
