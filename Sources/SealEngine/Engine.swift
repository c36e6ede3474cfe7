import SealPattern
import SealPolicy
import SealDetect
import SealMetrics
#if canImport(Glibc)
import Glibc
#endif

/// A loaded policy, ready to evaluate messages. Immutable and shared by any number
/// of sessions on any threads.
public final class Engine: Sendable {
    public let policy: Policy
    /// Whether some rule reads the decoded text of text parts.
    let readsText: Bool
    /// Whether some rule reads part digests and attached messages.
    let readsParts: Bool
    /// Every body condition of the policy in one pattern set, scanned once per
    /// message (nil: no body condition, or the set could not be compiled, in which
    /// case each condition scans on its own, with the same result).
    let bodySet: TextMatcherSet?
    /// The one scan of each message's text for the body conditions and every
    /// ``TextScanCondition`` (nil: the policy has no such condition).
    let textScan: TextScan?
    /// Whether some rule makes per-recipient versions (`for_each_recipient`).
    let hasVersionRules: Bool
    /// The submission path and marker key (`submission:`), when the policy has one.
    let submission: SubmissionSetup?
    /// Whether messages keep their original header section (versions, or an
    /// action that needs it: ``Action/keepsOriginalHeaders``).
    let keepsOriginalHeaders: Bool
    /// The time rules' `active:` windows are judged at (seconds since the epoch, UTC),
    /// read once per message; tests and `sealctl test --at` set it.
    let clock: @Sendable () -> Int64
    /// Whether some rule has an `active:` window (otherwise the clock is not read).
    let hasDateWindows: Bool

    /// The real time, UTC seconds since the epoch.
    public static let systemClock: @Sendable () -> Int64 = {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    public init(policy: Policy, clock: @escaping @Sendable () -> Int64 = Engine.systemClock) {
        var p = policy
        // Every text condition (body, attachment_content) gets its slot in one
        // policy-wide pattern set.
        var matchers: [TextMatcher] = []
        func slotted(_ conditions: [any Condition], _ assign: Bool) -> [any Condition] {
            conditions.map { c in
                if var b = c as? BodyCondition {
                    b.slot = assign ? matchers.count : nil
                    if assign { matchers.append(b.matcher) }
                    return b
                }
                if var a = c as? AttachmentContentCondition {
                    a.slot = assign ? matchers.count : nil
                    if assign { matchers.append(a.matcher) }
                    return a
                }
                return c
            }
        }
        func assignSlots(_ assign: Bool) {
            for i in p.rules.indices {
                p.rules[i].conditions = slotted(p.rules[i].conditions, assign)
                p.rules[i].exceptions = slotted(p.rules[i].exceptions, assign)
            }
        }
        assignSlots(true)
        var set: TextMatcherSet? = nil
        if !matchers.isEmpty {
            // Each matcher compiled on its own at load; only resource limits fail here,
            // and then each condition scans alone (same result, slower).
            do { set = try TextMatcherSet(matchers, modes: .block) } catch { assignSlots(false) }
        }
        self.textScan = TextScan.assign(&p, bodyMatchers: set == nil ? [] : matchers)
        self.policy = p
        self.bodySet = set
        self.readsText = p.rules.contains { $0.isEvaluated && $0.readsText }
        self.readsParts = p.rules.contains { $0.isEvaluated && $0.readsParts }
        self.hasVersionRules = p.rules.contains { $0.forEachRecipient && $0.isEnforced }
        self.clock = clock
        self.hasDateWindows = p.rules.contains { $0.active != nil }
        self.keepsOriginalHeaders = hasVersionRules || p.rules.contains { $0.isEnforced && $0.actions.contains { $0.keepsOriginalHeaders } }
        self.submission = SubmissionSetup(policy: p)
    }

    /// Why the marker secret could not be read (nil when it was, or none is named).
    public var markerKeyProblem: String? { submission?.keyProblem }

    /// Loads and validates the policy file at `path`, with the actions and
    /// conditions of `registry`.
    public convenience init(policyPath path: String, registry: Registry = .builtin,
                            clock: @escaping @Sendable () -> Int64 = Engine.systemClock) throws(PolicyError) {
        let policy: Policy
        do { policy = try Policy.load(path: path, registry: registry) } catch {
            Metrics.policyLoad(ok: false)
            throw error
        }
        Metrics.policyLoad(ok: true)
        self.init(policy: policy, clock: clock)
    }

    /// The stages and MTA facts this policy needs (drives milter protocol
    /// negotiation and the macros asked for). Header fields are always needed:
    /// forged `X-Sealmilter-*` fields are removed.
    public var needs: Needs {
        var n: Needs = [.headers]
        for rule in policy.rules where rule.isEvaluated {
            for c in rule.conditions + rule.exceptions {
                n.formUnion(c.needs)
                if c.stage == .body { n.insert(.body) }
            }
            for a in rule.actions {
                if a.readsText || a.readsParts { n.insert(.body) }
                var an = a.needs
                // A refusal needs an answer before the end only when its rule is decided
                // earlier; an audit rule never answers.
                if rule.isPerRecipient || rule.stage >= .body || !rule.isEnforced { an.remove(.earlyReply) }
                n.formUnion(an)
            }
        }
        if policy.flagUnscannable { n.insert(.body) }
        // Versions are built from the whole message; RCPT deferral answers at RCPT.
        if hasVersionRules { n.formUnion([.mail, .rcpt, .body]) }
        // A submission marker counts only from a loopback client.
        if submission != nil { n.insert(.clientMacros) }
        for g in gates where !g.gateNeeds.isEmpty {
            n.formUnion(g.gateNeeds)
            // A loopback client's refusal may wait for the marker check at end of headers.
            if submission != nil { n.insert(.earlyReply) }
        }
        if policy.milter.macros == .all { n.formUnion([.clientMacros, .tlsMacros, .authMacros]) }
        // Openers look at the whole message (``MessageOpener``).
        if !policy.openers.isEmpty { n.insert(.body) }
        return n
    }

    /// The modifications results of this policy may ask for.
    public var modifications: Modifications {
        var m: Modifications = [.changeHeaders]
        if policy.flagUnscannable { m.insert(.addHeaders) }
        for rule in policy.rules where rule.isEnforced {
            for a in rule.actions { m.formUnion(a.modifications) }
        }
        // The recipients of other versions leave the original transaction.
        if hasVersionRules { m.insert(.deleteRecipients) }
        // Openers add results, remove forged ones, may deliver the opened entity.
        if !policy.openers.isEmpty { m.formUnion([.addHeaders, .changeHeaders, .changeBody]) }
        return m
    }
}

/// Stages a policy needs; the raw values are the C interface's SEALMILTER_NEED_* bits.
public struct Needs: OptionSet, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let connect = Needs(rawValue: 0x01)
    public static let helo = Needs(rawValue: 0x02)
    public static let mail = Needs(rawValue: 0x04)
    public static let rcpt = Needs(rawValue: 0x08)
    public static let headers = Needs(rawValue: 0x10)
    public static let body = Needs(rawValue: 0x20)
    /// Some rule may refuse the message before its end (at MAIL or by end of headers).
    public static let earlyReply = Needs(rawValue: 0x40)
    /// The client's address and the MTA's daemon name (`{client_addr}`, `{daemon_name}`).
    public static let clientMacros = Needs(rawValue: 0x80)
    /// The TLS facts (`{tls_version}`, `{cipher}`, `{cipher_bits}`, `{cert_subject}`, `{cert_issuer}`).
    public static let tlsMacros = Needs(rawValue: 0x100)
    /// The SMTP AUTH user (`{auth_authen}`).
    public static let authMacros = Needs(rawValue: 0x200)
}

/// Modifications a result may ask for; raw values are SEALMILTER_MOD_* bits.
public struct Modifications: OptionSet, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let addHeaders = Modifications(rawValue: 0x01)
    public static let changeHeaders = Modifications(rawValue: 0x02)
    public static let changeBody = Modifications(rawValue: 0x04)
    public static let addRecipients = Modifications(rawValue: 0x08)
    public static let deleteRecipients = Modifications(rawValue: 0x10)
    public static let quarantine = Modifications(rawValue: 0x20)
}

/// What the caller does after a stage; raw values are the C `sealmilter_decision`.
public enum Decision: Int32, Sendable {
    case `continue` = 0, accept = 1, reject = 2, tempfail = 3, discard = 4
}

/// A header edit to apply at end of message, in the milter's terms.
///
/// The MTA's header section begins with its own `Received` field, which it does
/// not pass to filters (Postfix's cleanup and Sendmail alike): `change` and
/// `delete` count the fields the filter saw, `insert` counts from the very top,
/// that field included (``apply(_:to:mtaReceived:)`` models this).
public struct HeaderEdit: Sendable, Equatable {
    public enum Operation: Int32, Sendable {
        /// Append `name: value` at the end of the header section (`smfi_addheader`).
        case add = 0
        /// Replace the `index`-th (1-based) field called `name` (`smfi_chgheader`).
        case change = 1
        /// Delete the `index`-th (1-based) field called `name` (`smfi_chgheader`, no value).
        case delete = 2
        /// Insert `name: value` before the field at `index` (0-based, as
        /// `smfi_insheader` takes it: 0 is above the MTA's own `Received`,
        /// ``topIndex`` above every field the message arrived with); past the
        /// last field it appends.
        case insert = 3
    }
    public var operation: Operation
    public var name: String
    /// nil for delete.
    public var value: String?
    /// add: 0. change, delete: 1-based occurrence among fields of that name,
    /// case-insensitively. insert: 0-based position (see ``Operation/insert``).
    public var index: Int
    public init(operation: Operation, name: String, value: String?, index: Int) {
        self.operation = operation; self.name = name; self.value = value; self.index = index
    }

    /// The `insert` position for a field that goes at the top of the header
    /// section: just below the MTA's own `Received` field (this hop's trace), above
    /// every field the message arrived with — where opendkim and opendmarc put
    /// their `Authentication-Results` (`smfi_insheader(ctx, 1, ...)`). Index 0
    /// would go above that `Received`, which later filters do not see and which
    /// then shifts their header indices (libmilter's `smfi_insheader` notes).
    public static let topIndex = 1

    /// The edit as one line for reports (`sealctl scan`, `sealctl test`).
    public var summary: String {
        switch operation {
        case .add: "add \(name): \(value ?? "")"
        case .change: "change \(name)[\(index)]: \(value ?? "")"
        case .delete: "delete \(name)[\(index)]"
        case .insert: index <= Self.topIndex ? "insert at top \(name): \(value ?? "")" : "insert at \(index) \(name): \(value ?? "")"
        }
    }
}

/// A recipient edit to apply at end of message.
public struct RecipientEdit: Sendable, Equatable {
    public enum Operation: Int32, Sendable { case add = 0, delete = 1 }
    public var operation: Operation
    public var address: String
    public init(operation: Operation, address: String) {
        self.operation = operation; self.address = address
    }
}

extension HeaderEdit {
    /// Applies header edits the way the MTA does, in order: add appends; change and
    /// delete address the index-th field of that name among the fields the filter
    /// saw (case-insensitively, 1-based; none: nothing happens); insert puts the
    /// field before the index-th field of the MTA's list, which begins with the
    /// MTA's own `Received` field (0 = above it, ``topIndex`` = the first place
    /// below it), appending past the end — Postfix's cleanup (`cleanup_ins_header`,
    /// `cleanup_milter.c`) and Sendmail 8.13+ behave so.
    ///
    /// `mtaReceived` is that field when the caller has one (a version the engine
    /// submits itself records the hop the original came by); it is then part of
    /// the result, where the edits left it. Without it the result has the fields
    /// the filter saw, with the edits applied, as the MTA delivers them below its
    /// own `Received`.
    ///
    /// One difference to Postfix is not modelled: after an insert at index 0,
    /// Postfix counts its own `Received` for change and delete (it skips the first
    /// field of the section, whichever it is). The engine inserts only at
    /// ``topIndex`` and after its changes and deletes.
    public static func apply(_ edits: [HeaderEdit], to original: [(name: String, value: String)],
                             mtaReceived: (name: String, value: String)? = nil) -> [(name: String, value: String)] {
        typealias Field = (name: String, value: String, hidden: Bool)
        var fields: [Field] = [(mtaReceived?.name ?? "Received", mtaReceived?.value ?? "", true)]
        fields.reserveCapacity(original.count + edits.count + 1)
        for f in original { fields.append((f.name, f.value, false)) }
        for e in edits {
            switch e.operation {
            case .add:
                fields.append((e.name, e.value ?? "", false))
            case .insert:
                fields.insert((e.name, e.value ?? "", false), at: min(max(e.index, 0), fields.count))
            case .change, .delete:
                let lower = e.name.lowercased()
                var n = 0
                guard let i = fields.indices.first(where: {
                    !fields[$0].hidden && fields[$0].name.lowercased() == lower && { n += 1; return n == e.index }()
                }) else { continue }
                if e.operation == .delete { fields.remove(at: i) } else { fields[i].value = e.value ?? "" }
            }
        }
        return fields.compactMap { $0.hidden && mtaReceived == nil ? nil : ($0.name, $0.value) }
    }
}
