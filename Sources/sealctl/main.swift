import ArgumentParser
import Foundation
import SealEngine
import SealPolicy
import SealmilterCAPI

/// `sealctl`: offline tools around the Sealmilter engine.
@main
struct Sealctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sealctl",
        abstract: "Check Sealmilter policies and scan messages offline with the same engine as the milter.",
        version: "0.1.0",
        subcommands: [CheckConfig.self, Scan.self]
    )

    /// Exit status: what the command says (0 scanned/valid, 1 unreadable/invalid);
    /// 2 on a usage error (ArgumentParser's own default would be 64).
    static func main() {
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }   // --help, --version
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
        do {
            var c = command
            try c.run()
        } catch {
            exit(withError: error)
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
                FileHandle.standardError.write(Data("sealctl: unknown user \(user)\n".utf8))
                throw ExitCode(2)
            }
            owner = pw.pointee.pw_uid
        }
        func fail(_ errors: [PolicyError]) -> ExitCode {
            for e in errors { FileHandle.standardError.write(Data((e.description + "\n").utf8)) }
            return ExitCode(1)
        }
        let errors = Policy.diagnose(path: file, registry: Composition.registry)
        if !errors.isEmpty { throw fail(errors) }
        let p: Policy
        do { p = try Policy.load(path: file, registry: Composition.registry) } catch { throw fail([error]) }
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
            engine = try policy.map { try Engine(policyPath: $0, registry: Composition.registry) } ?? Engine(policy: Policy())
        } catch {
            FileHandle.standardError.write(Data("sealctl: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let fh: FileHandle
        if message == "-" { fh = .standardInput } else {
            guard let h = FileHandle(forReadingAtPath: message) else {
                FileHandle.standardError.write(Data("sealctl: cannot read \(message)\n".utf8))
                throw ExitCode(1)
            }
            fh = h
        }
        // A dry run: versions and notices are shown, never submitted.
        let s = Session(engine: engine, decodeAll: true, dryRun: true)
        var d = s.mailFrom(from)
        for r in to where d == .continue { _ = s.rcpt(r) }
        while d == .continue || d == .accept {
            let chunk: Data
            do { chunk = try fh.read(upToCount: 64 * 1024) ?? Data() } catch {
                FileHandle.standardError.write(Data("sealctl: cannot read \(message): \(error)\n".utf8))
                throw ExitCode(1)
            }
            if chunk.isEmpty { break }
            d = chunk.withUnsafeBytes { s.raw($0) }
            if d != .continue { break }
        }
        if d == .continue { d = s.endOfMessage() }
        if json {
            print(s.jsonReport())
            return
        }
        if let r = s.report { print(r.text, terminator: "") }
    }
}
