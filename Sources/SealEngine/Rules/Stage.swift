/// The SMTP stages at which the milter sees facts about a message, in order.
public enum Stage: Int, Comparable, Sendable, CaseIterable {
    case connect, helo, mail, rcpt, headers, body

    public static func < (a: Stage, b: Stage) -> Bool { a.rawValue < b.rawValue }
}
