import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import SealEngine
import SealPolicy
import SealRegistry
import SealRights

/// `sealctl rights list|show|expire`: reads and manages the rights registry of a
/// policy (its `rights.registry`), or of `--registry`.
struct RightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rights",
        abstract: "List, show and expire protected messages in the rights registry.",
        discussion: """
            The registry is the policy's rights.registry (--policy, default /etc/sealmilter/sealmilter.yaml)
            or the one given with --registry (sqlite:/PATH or a postgresql:// URI). Exit status: 0 done,
            1 the registry or policy cannot be read or the message is not there, 2 usage error.
            """,
        subcommands: [List.self, Show.self, Expire.self])

    struct Where: ParsableArguments {
        @Option(help: "Policy file whose rights.registry to use.") var policy: String = "/etc/sealmilter/sealmilter.yaml"
        @Option(help: "The registry itself: sqlite:/PATH or postgresql://USER@HOST/DB (instead of the policy's).") var registry: String?

        func open() throws -> RightsRegistry {
            if let r = registry {
                if r.hasPrefix("sqlite:") { return RightsRegistry(.sqlite(path: String(r.dropFirst(7)))) }
                if r.hasPrefix("postgresql://") || r.hasPrefix("postgres://") { return RightsRegistry(.postgresql(uri: r)) }
                throw ValidationError("--registry: expected sqlite:/PATH or postgresql://..., found '\(r)'")
            }
            let p: Policy
            do { p = try Policy.load(path: policy, registry: Sealctl.registry) } catch {
                printError("sealctl: \(error)"); throw ExitCode(1)
            }
            guard let s = p.settings.features[RightsSettings.self] else {
                printError("sealctl: \(policy) has no 'rights:' section"); throw ExitCode(1)
            }
            return s.registry
        }
    }

    static func line(_ m: ProtectedMessage) -> String {
        let exp = m.expires.map { RFC3339String($0) } ?? "never"
        return "\(m.messageID)  \(m.template)  from=\(m.sender)  to=\(m.recipients.joined(separator: ","))  recorded=\(RFC3339String(m.created))  expires=\(exp)"
            + (m.queueID.isEmpty ? "" : "  queue=\(m.queueID)")
    }

    static func fail(_ e: RegistryError) -> ExitCode {
        printError("sealctl: rights registry: \(e.message)")
        return ExitCode(1)
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The most recently protected messages, newest first (those in force unless --all).")
        @OptionGroup var where_: Where
        @Flag(help: "Include expired messages.") var all = false
        @Option(help: "At most this many.") var limit: Int = 100
        func run() throws {
            let reg = try where_.open()
            do {
                for m in try reg.list(limit: limit, includeExpired: all, now: Int64(time(nil))) { print(RightsCommand.line(m)) }
            } catch { throw RightsCommand.fail(error) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One protected message, with its fingerprints.")
        @OptionGroup var where_: Where
        @Argument(help: "Its Message-ID (with or without <>).") var messageID: String
        func run() throws {
            let reg = try where_.open()
            let found: ProtectedMessage?
            do { found = try reg.show(messageID: messageID) } catch { throw RightsCommand.fail(error) }
            guard let m = found else { printError("sealctl: \(messageID) is not in the registry"); throw ExitCode(1) }
            print(RightsCommand.line(m))
            print("text fingerprints: \(m.textSample.count) shingle hashes")
            print("attachments: " + (m.attachments.isEmpty ? "none" : m.attachments.joined(separator: " ")))
            print("in force: \(m.inForce(at: Int64(time(nil))) ? "yes" : "no")")
        }
    }

    struct Expire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a message's protection now (Do Not Forward no longer applies to it).")
        @OptionGroup var where_: Where
        @Argument(help: "Its Message-ID (with or without <>).") var messageID: String
        func run() throws {
            let reg = try where_.open()
            let done: Bool
            do { done = try reg.expire(messageID: messageID, at: Int64(time(nil))) } catch { throw RightsCommand.fail(error) }
            guard done else { printError("sealctl: \(messageID) is not in the registry"); throw ExitCode(1) }
            print("\(messageID): expired")
        }
    }
}
