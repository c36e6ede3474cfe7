import SealDetect
import SealMIME

/// The global settings of a policy file: everything but the rules, which the engine
/// reads with the actions and conditions registered with it.
public struct PolicySettings: Sendable {
    /// Domains that count as ours for `direction` (exact or `*.example.org`).
    public var internalDomains: [DomainPattern] = []
    /// Add `X-Sealmilter-Unscannable` when unscannable content is found.
    public var flagUnscannable: Bool = true
    public var limits: Limits = Limits()
    /// Bounds on rule evaluation (`limits.max_rule_cpu`, `limits.on_rule_cpu_exceeded`).
    public var evaluation: EvaluationSettings = EvaluationSettings()
    public var spool: SpoolSettings = SpoolSettings()
    public var milter: MilterSettings = MilterSettings()
    /// Key material on disk (the `keys:` section), by name, in file order.
    public var keys: [KeyFile] = []
    /// How other versions of a message and the filter's own messages go out (the
    /// `submission:` section); nil when the policy has none.
    public var submission: SubmissionSettings? = nil
    /// The file it was loaded from, for messages.
    public var source: String = "<policy>"
    /// The sections feature modules own (``PolicyFeature``), as loaded.
    public var features: PolicyFeatures = PolicyFeatures()

    public init() {}
}

/// The `submission:` section: how versions of a message for recipient groups
/// other than the first, and messages of the filter's own, are handed to the MTA.
public struct SubmissionSettings: Sendable, Equatable {
    public enum Method: String, Sendable, CaseIterable { case smtp, sendmail }
    public var method: Method = .smtp
    /// The dedicated local listener (`method: smtp`).
    public var host: String = "127.0.0.1"
    public var port: Int = 10026
    /// The MTA's sendmail program (`method: sendmail`).
    public var sendmail: String = "/usr/sbin/sendmail"
    /// For each SMTP step, or for a whole sendmail run.
    public var timeout: Duration = .seconds(30)
    /// The name in `keys:` of the secret that signs the marker of submitted messages.
    public var markerKey: String = ""
    /// How long a marker stays valid after it was made.
    public var markerMaxAge: Duration = .seconds(600)
    /// The envelope sender of the filter's notices ("" is the null sender `<>`).
    public var noticeSender: String = ""
    /// The From: address of notices (default: the notice sender, or `MAILER-DAEMON`).
    public var noticeFrom: String = ""
    /// Answer `452 4.5.3` at RCPT for a recipient whose group differs from the first one's.
    public var rcptDeferral: Bool = false
    /// The text of that reply.
    public var deferralText: String = "Too many different recipients for one message, send the rest in a new transaction"
    /// Where `submission:` is written in the policy file, for messages.
    public var line: Int = 0
    public init() {}
}

/// Parser and inspection limits (the `limits:` section): the parser's own type.
/// Exceeding one marks the message `limits-exceeded`.
public typealias Limits = ParserLimits

/// How much work rule evaluation may do per message, and what happens when it
/// runs out: a message that cannot be judged in time is never passed unjudged
/// unless the policy says so.
public struct EvaluationSettings: Sendable, Equatable {
    /// CPU time the rules (conditions and actions) may use per message.
    public var maxRuleCPU: Duration = .seconds(2)
    /// What a message whose rules ran out of time gets.
    public var onRuleCPUExceeded: BudgetOutcome = .tempfail
    public init() {}
}

/// What a message gets when rule evaluation ran out of its CPU budget.
public enum BudgetOutcome: String, Sendable, CaseIterable {
    /// 451 4.7.0: the sending MTA keeps it and retries.
    case tempfail
    /// Delivered without further rules, flagged `limits-exceeded`.
    case accept
}

/// Where and when rewritten bodies are spooled to a private temporary file.
public struct SpoolSettings: Sendable, Equatable {
    /// Bodies larger than this are spooled to disk instead of memory.
    public var memoryLimit: Int = 1024 * 1024
    public var directory: String = "/tmp"
    /// Where `directory` is written in the policy file, for messages (0: not written).
    public var line: Int = 0
    public var column: Int = 0
    public init() {}
}

/// Settings of the milter daemon that may come from the policy file.
public struct MilterSettings: Sendable, Equatable {
    public var socket: String? = nil
    public var metricsListen: String? = nil
    /// Which MTA macros the daemon asks for (`milter.macros`).
    public var macros: MacroRequest = .needed
    public init() {}
}

/// Which MTA macros (connection facts) the milter asks the MTA for. Each macro
/// costs the MTA work per message, so by default only what the rules use.
public enum MacroRequest: String, Sendable, CaseIterable {
    /// The queue ID, and the facts the policy's rules use.
    case needed
    /// Also the client, authentication and TLS facts, logged with each decision.
    case all
}

/// Mail direction, from sender and recipient domains against `internal_domains`.
public enum Direction: String, Sendable, CaseIterable {
    case inbound, outbound, `internal`
}

/// An SMTP reply: code (e.g. 550), extended code (e.g. 5.7.1), text.
public struct SMTPReply: Sendable, Equatable {
    public var code: String
    public var extendedCode: String
    public var text: String
    public init(code: String, extendedCode: String, text: String) {
        self.code = code; self.extendedCode = extendedCode; self.text = text
    }
}

extension PolicySettings {
    /// Whether `domain` is one of `internal_domains`.
    public func isInternal(domain: String) -> Bool {
        internalDomains.contains { $0.matches(domain: domain) }
    }

    /// Whether the domain of `address` (brackets allowed) is one of `internal_domains`.
    public func isInternal(address: String) -> Bool {
        let (_, domain) = AddressPattern.split(AddressPattern.normalize(address))
        guard let domain else { return false }
        return isInternal(domain: domain)
    }

    /// The direction of mail from `sender` to one `recipient` (addresses, brackets allowed):
    /// inbound (outside to inside), outbound (inside to outside), internal (inside to inside),
    /// or nil when neither is internal (relayed mail). The null sender counts as outside.
    public func direction(sender: String, recipient: String) -> Direction? {
        func inside(_ address: String) -> Bool {
            let (_, domain) = AddressPattern.split(AddressPattern.normalize(address))
            guard let domain else { return false }
            return isInternal(domain: domain)
        }
        switch (inside(sender), inside(recipient)) {
        case (false, true): return .inbound
        case (true, false): return .outbound
        case (true, true): return .internal
        case (false, false): return nil
        }
    }
}
