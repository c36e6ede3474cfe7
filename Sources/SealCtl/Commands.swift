import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import SealEngine
import SealPolicy

/// `sealctl`: offline tools around the Sealmilter engine. The `sealctl` program is
/// a C host of libsealmilter (one copy of the engine in the package): its `main`
/// calls `sealmilter_ctl_main`, which runs ``Sealctl/run(arguments:registry:)``.
public struct Sealctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sealctl",
        abstract: "Check Sealmilter policies and scan messages offline with the same engine as the milter.",
        version: "0.1.0",
        subcommands: [CheckConfig.self, Scan.self, PostfixCommand.self, Test.self, Cert.self, Keys.self, Envelope.self, RightsCommand.self]
    )

    public init() {}

    /// The registry of actions and conditions policies are loaded with (set by the
    /// composition root before running).
    nonisolated(unsafe) static var registry: Registry = .builtin

    /// Runs the command line `arguments` (without the program name) and returns
    /// the exit status: what the command says (0 scanned/valid, 1 unreadable/
    /// invalid); 2 on a usage error (ArgumentParser's own default would be 64).
    public static func run(arguments: [String], registry: Registry) -> Int32 {
        self.registry = registry
        let command: ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            let code = exitCode(for: error)
            if code == .success {   // --help, --version
                print(fullMessage(for: error))
                return 0
            }
            printError(fullMessage(for: error))
            return 2
        }
        do {
            var c = command
            try c.run()
            return 0
        } catch {
            let message = fullMessage(for: error)
            if !message.isEmpty { printError(message) }
            return exitCode(for: error).rawValue
        }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Load and validate a policy file; print every error as FILE:LINE:COLUMN: message.")

    @Argument(help: "The policy file.") var file: String

    @Option(help: ArgumentHelp(
        "Also check that the key files belong to this user (the one the daemon runs as) and that it can write to the spool directory.",
        valueName: "user"))
    var user: String?

    func run() throws {
        var owner: uid_t? = nil
        if let user {
            guard let pw = getpwnam(user) else {
                printError("sealctl: unknown user \(user)")
                throw ExitCode(2)
            }
            owner = pw.pointee.pw_uid
        }
        func fail(_ errors: [PolicyError]) -> ExitCode {
            for e in errors { printError(e.description) }
            return ExitCode(1)
        }
        let errors = Policy.diagnose(path: file, registry: Sealctl.registry)
        if !errors.isEmpty { throw fail(errors) }
        let p: Policy
        do { p = try Policy.load(path: file, registry: Sealctl.registry) } catch { throw fail([error]) }
        let keyProblems = p.fileProblems(owner: owner)
        if !keyProblems.isEmpty { throw fail(keyProblems) }
        // The marker secret of `submission:` must be usable as one (long enough).
        if let problem = Engine(policy: p).markerKeyProblem {
            throw fail([PolicyError(file: file, line: p.settings.submission?.line, message: "submission.marker_key: \(problem)")])
        }
        print("\(file): OK (\(p.rules.count) rule\(p.rules.count == 1 ? "" : "s"))")
    }
}

struct Scan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a message through the engine offline and print the part tree, unscannable kinds, matched rules and verdict.",
        discussion: """
            Part paths: the root is 1; children of X are X.1, X.2, ...; the message embedded in a
            message/rfc822 part X is X.1. Exit status: 0 when the message was scanned (whatever the
            verdict), 1 when it cannot be read or the policy is invalid, 2 on a usage error.
            """)

    @Option(help: "Policy file (default: flag unscannable content, no rules).") var policy: String?
    @Option(help: "Envelope sender.") var from: String = ""
    @Option(help: "Envelope recipient (repeatable).") var to: [String] = []
    @Flag(help: "Print one JSON object.") var json = false
    @Argument(help: "The message (.eml); - for standard input.") var message: String

    func run() throws {
        let engine: Engine
        do {
            engine = try policy.map { try Engine(policyPath: $0, registry: Sealctl.registry) } ?? Engine(policy: Policy())
        } catch {
            printError("sealctl: \(error)")
            throw ExitCode(1)
        }
        // A dry run: versions and notices are shown, never submitted.
        let s = Session(engine: engine, decodeAll: true, dryRun: true)
        var d = s.mailFrom(from)
        for r in to where d == .continue { _ = s.rcpt(r) }
        try MessageInput.feed(message, into: s, decision: &d)
        if d == .continue { d = s.endOfMessage() }
        if json {
            print(s.jsonReport())
            return
        }
        if let r = s.report { print(r.text, terminator: "") }
    }
}

/// One line on standard error.
func printError(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { b in
        var off = 0
        while off < b.count {
            let n = write(2, b.baseAddress! + off, b.count - off)
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            off += n
        }
    }
}
