/// A message of the filter's own: a notice to the sender or a recipient, a
/// passcode message. Sent with `Auto-Submitted: auto-generated`, a Message-ID and
/// the submission marker; the envelope sender is the policy's
/// `submission.notice_sender`, or the null sender `<>` when ``nullSender`` is set
/// (notices that must never bounce, such as those to the sender of a message).
public struct Notice: Sendable, Equatable {
    /// Envelope and `To:` recipients.
    public var to: [String]
    public var subject: String
    /// The text (plain, UTF-8); line ends are normalised.
    public var text: String
    /// Send with the null envelope sender.
    public var nullSender: Bool
    /// Extra header fields (name, value), e.g. `In-Reply-To`.
    public var headers: [(name: String, value: String)]

    public init(to: [String], subject: String, text: String, nullSender: Bool, headers: [(name: String, value: String)] = []) {
        self.to = to; self.subject = subject; self.text = text; self.nullSender = nullSender; self.headers = headers
    }

    public static func == (a: Notice, b: Notice) -> Bool {
        a.to == b.to && a.subject == b.subject && a.text == b.text && a.nullSender == b.nullSender
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }
}
