/// The milter stages at which an MTA sends macros (the C interface's
/// `sealmilter_stage`; libmilter's SMFIM_* order).
public enum MilterStage: Int32, Sendable, CaseIterable {
    case connect = 0, helo = 1, mail = 2, rcpt = 3, data = 4, endOfHeaders = 5, endOfMessage = 6
}

/// The MTA macro vocabulary: which macros carry which facts, and at which stage
/// an MTA has them. The engine owns it, so that a condition that needs a new fact
/// changes the engine alone; the milter front end asks for each stage's list
/// (``Engine/macros(at:skipped:)``) and passes what the MTA sends.
public struct MacroGroup: Sendable {
    /// The ``Needs`` bit that asks for the group.
    public var need: Needs
    /// The macro names, as the MTA spells them.
    public var names: [String]
    /// The first stage at which the MTA has them.
    public var stage: MilterStage

    /// The queue ID, asked for at every stage (log lines name the message by it).
    public static let queueID = "i"

    public static let all: [MacroGroup] = [
        MacroGroup(need: .clientMacros, names: ["{client_addr}", "{daemon_name}"], stage: .connect),
        MacroGroup(need: .tlsMacros, names: ["{tls_version}", "{cipher}", "{cipher_bits}", "{cert_subject}", "{cert_issuer}"],
                   stage: .helo),
        MacroGroup(need: .authMacros, names: ["{auth_authen}"], stage: .mail),
    ]
}

extension Engine {
    /// The macros to ask the MTA for at `stage` (for `smfi_setsymlist`) and to pass
    /// to the session there. `skipped` holds ``Needs/connect`` and/or
    /// ``Needs/helo`` when those stages are not delivered (negotiated away): their
    /// macros are then asked for at MAIL. Every stage's list has the queue ID "i":
    /// Postfix sends its own default list for a stage whose list is missing or
    /// empty, which would cost more.
    public func macros(at stage: MilterStage, skipped: Needs = []) -> [String] {
        var names = [MacroGroup.queueID]
        let needs = self.needs
        for g in MacroGroup.all where needs.contains(g.need) {
            var at = g.stage
            if at == .connect && skipped.contains(.connect) { at = .mail }
            if at == .helo && skipped.contains(.helo) { at = .mail }
            if at == stage { names += g.names }
        }
        return names
    }
}
