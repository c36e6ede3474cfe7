import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import SealEngine
import SealPolicy

/// `sealctl test`: runs a message through the policy's rules with the envelope
/// and MTA facts given, and explains each rule (mode, whether it matched and why,
/// the actions that would apply) and the result. A dry run: nothing is changed,
/// submitted or sent.
struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain what the policy's rules do with a message: each rule, whether it matched and why, and the result.",
        discussion: """
            The message is run through the same engine as the milter, with the envelope and the MTA facts \
            given here; MTA facts are passed as the MTA's macros ({client_addr}, {tls_version}, {cipher}, \
            {cert_subject}, {cert_issuer}, {auth_authen}, or any with --macro), so every condition sees them \
            as it would from Postfix. Nothing is changed, submitted or sent.

            Rules are listed in the engine's order (priority, then file order) with their mode and status: \
            applied, audited (held in audit mode: nothing done), not-matched, off, inactive (outside the date \
            window), not-reached (the message was decided, or a rule said stop, before it). Matched message \
            text is shown redacted: first and last character and length.

            Exit status: 0 when the message was run (whatever the verdict), 1 when it or the policy cannot be \
            read or the policy is invalid, 2 on a usage error. The --json shape is in sealctl(1).
            """)

    @Option(help: "Policy file.") var policy: String = "/etc/sealmilter/sealmilter.yaml"
    @Option(help: "Envelope sender (empty: the null sender).") var from: String = ""
    @Option(help: "Envelope recipient (repeatable).") var to: [String] = []
    @Option(name: .customLong("client-addr"), help: "The client's IP address ({client_addr}).") var clientAddr: String?
    @Option(name: .customLong("client-name"), help: "The client's host name.") var clientName: String?
    @Option(help: "The HELO/EHLO name.") var helo: String?
    @Option(name: .customLong("tls-version"), help: "The TLS protocol ({tls_version}, e.g. TLSv1.3).") var tlsVersion: String?
    @Option(help: "The TLS cipher ({cipher}).") var cipher: String?
    @Option(name: .customLong("cipher-bits"), help: "The cipher's key bits ({cipher_bits}).") var cipherBits: String?
    @Option(name: .customLong("cert-subject"), help: "The client certificate's subject ({cert_subject}).") var certSubject: String?
    @Option(name: .customLong("cert-issuer"), help: "The client certificate's issuer ({cert_issuer}).") var certIssuer: String?
    @Option(help: "The SMTP AUTH user ({auth_authen}).") var auth: String?
    @Option(help: ArgumentHelp("Another MTA macro, as NAME=VALUE (repeatable; e.g. daemon_name=submission).", valueName: "name=value"))
    var macro: [String] = []
    @Option(help: ArgumentHelp("Judge date windows (active:) at this UTC time instead of now (2026-12-24 or 2026-12-24T18:00Z).", valueName: "time"))
    var at: String?
    @Flag(help: "Print one JSON object (see sealctl(1) for its shape).") var json = false
    @Argument(help: "The message (.eml); - for standard input.") var message: String

    func validate() throws {
        if let at, DateWindow.parsePoint(at) == nil {
            throw ValidationError("--at: '\(at)' is not a time; write YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z")
        }
        for m in macro where !m.contains("=") || m.hasPrefix("=") {
            throw ValidationError("--macro: '\(m)' is not NAME=VALUE")
        }
    }

    /// The macros, by their MTA names.
    var macros: [(String, String)] {
        var out: [(String, String)] = []
        if let clientAddr { out.append(("{client_addr}", clientAddr)) }
        if let tlsVersion { out.append(("{tls_version}", tlsVersion)) }
        if let cipher { out.append(("{cipher}", cipher)) }
        if let cipherBits { out.append(("{cipher_bits}", cipherBits)) }
        if let certSubject { out.append(("{cert_subject}", certSubject)) }
        if let certIssuer { out.append(("{cert_issuer}", certIssuer)) }
        if let auth { out.append(("{auth_authen}", auth)) }
        for m in macro {
            let eq = m.firstIndex(of: "=")!
            var name = String(m[..<eq])
            if name.count > 1 && !name.hasPrefix("{") { name = "{" + name + "}" }
            out.append((name, String(m[m.index(after: eq)...])))
        }
        return out
    }

    func run() throws {
        let clock: @Sendable () -> Int64
        if let at, let t = DateWindow.parsePoint(at) { clock = { t } } else { clock = Engine.systemClock }
        let engine: Engine
        do {
            engine = try Engine(policyPath: policy, registry: Sealctl.registry, clock: clock)
        } catch {
            printError("sealctl: \(error)")
            throw ExitCode(1)
        }
        // A dry run with every evaluation recorded.
        let s = Session(engine: engine, decodeAll: true, dryRun: true, explain: true)
        var d = s.connect(hostname: clientName ?? clientAddr.map { "[\($0)]" }, address: clientAddr)
        for (name, value) in macros { s.macro(name: name, value: value) }
        if d == .continue, let helo { d = s.helo(helo) }
        if d == .continue { d = s.mailFrom(from) }
        for r in to where d == .continue { _ = s.rcpt(r) }
        try MessageInput.feed(message, into: s, decision: &d)
        if d == .continue { d = s.endOfMessage() }
        guard let e = s.explanation else {
            printError("sealctl: no result")
            throw ExitCode(1)
        }
        print(json ? e.json() : e.text, terminator: json ? "\n" : "")
    }
}

/// Reading a message file (or standard input) into a session as raw chunks:
/// what `sealctl scan` and `sealctl test` share.
enum MessageInput {
    /// Feeds the message at `path` ("-": standard input) to `session` while
    /// `decision` is `.continue`. Throws ExitCode(1) with a message when it
    /// cannot be read.
    static func feed(_ path: String, into session: Session, decision d: inout Decision) throws {
        let fd: Int32
        if path == "-" { fd = 0 } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                printError("sealctl: cannot read \(path): " + String(cString: strerror(errno)))
                throw ExitCode(1)
            }
        }
        defer { if fd > 0 { close(fd) } }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while d == .continue {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                printError("sealctl: cannot read \(path): " + String(cString: strerror(errno)))
                throw ExitCode(1)
            }
            if n == 0 { break }
            d = buffer.withUnsafeBytes { session.raw(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }
}
