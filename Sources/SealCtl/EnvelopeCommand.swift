import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import SealCrypto
import SealEnvelope

/// `sealctl envelope`: build, inspect and open envelopes and secure replies offline.
struct Envelope: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build, inspect and open envelopes (message.html) and secure replies.",
        subcommands: [EnvelopeSeal.self, EnvelopeOpen.self, EnvelopeInspect.self])
}

/// Reads a whole file (or standard input for `-`), for the offline tools.
func readAll(_ path: String, limit: Int = 1 << 30) throws -> [UInt8] {
    let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw KeyMaterial.KeyError(message: "cannot read \(path): " + String(cString: strerror(errno))) }
    defer { if fd > 0 { close(fd) } }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { if errno == EINTR { continue }; throw KeyMaterial.KeyError(message: "cannot read \(path): " + String(cString: strerror(errno))) }
        if n == 0 { break }
        out += buf[0..<n]
        if out.count > limit { throw KeyMaterial.KeyError(message: "\(path) is larger than \(limit) bytes") }
    }
    return out
}

struct EnvelopeSeal: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract: "Build an envelope (message.html) from a message, outside the milter.",
        discussion: """
            Writes the page to standard output (or --output). Without --recovery-key a throwaway
            recovery key is used and nobody can recover the envelope without the passcode.
            """)

    @Option(help: "The passcode (repeat with --to for several recipients; one passcode for all otherwise).")
    var passcode: [String]
    @Option(help: "Recipient address of each passcode (default: the message's To and Cc).") var to: [String] = []
    @Option(help: "Hint shown with the passcode field.") var hint: String?
    @Option(help: "The organisation's recovery public (or private) key, PEM.") var recoveryKey: String?
    @Option(help: "The reply secret file (enables secure replies).") var replySecret: String?
    @Option(help: "Where secure replies go (default: the message's From).") var replyTo: String?
    @Option(help: "PBKDF2 iterations (at least 600000).") var iterations: Int = EnvelopeFormat.minimumIterations
    @Option(help: "Expiry, in days from now.") var expiresDays: Int?
    @Option(help: "Display config (branding) JSON file.") var config: String?
    @Option(name: .shortAndLong, help: "Write the page here instead of standard output.") var output: String?
    @Argument(help: "The message (.eml); - for standard input.") var message: String

    func run() throws {
        do {
            let raw = try readAll(message)
            let (fields, bodyOffset) = OriginalMessage.split(raw)
            let recovery = try recoveryKey.map { try KeyMaterial.p256($0, needPrivate: false) } ?? P256Key.generate()
            if recoveryKey == nil { printError("sealctl: no --recovery-key: a throwaway recovery key is used") }
            var spec = EnvelopeSpec(recipients: [], recovery: recovery)
            OriginalMessage.describe(fields, into: &spec)
            let addresses = to.isEmpty ? (spec.to + spec.cc) : to
            guard !passcode.isEmpty else { throw ValidationError("give --passcode") }
            if passcode.count > 1 && passcode.count != addresses.count {
                throw ValidationError("\(passcode.count) passcodes for \(addresses.count) recipients")
            }
            spec.recipients = (addresses.isEmpty ? ["recipient"] : addresses).enumerated().map {
                .init(address: $0.element, passcode: passcode.count == 1 ? passcode[0] : passcode[$0.offset], hint: hint)
            }
            spec.iterations = iterations
            if let replySecret {
                spec.replySecret = try KeyMaterial.replySecret(replySecret)
                spec.replyTo = replyTo ?? OriginalMessage.addresses(spec.from).first ?? ""
                spec.replySubject = spec.subject.lowercased().hasPrefix("re:") ? spec.subject : "Re: " + spec.subject
            }
            if let d = expiresDays { spec.expires = Int64(time(nil)) + Int64(d) * 86400 }
            if let config { spec.config = try JSON.parse(try readAll(config, limit: 4 << 20)) }
            // The payload holds the message as received: its header section as is,
            // then the body.
            let headerBytes = Array(raw[0..<bodyOffset])
            let body = Array(raw[bodyOffset...])
            var parts = [headerBytes, body].makeIterator()
            let fd: Int32
            var tmp: String? = nil
            if let output {
                tmp = output + ".tmp"
                fd = open(tmp!, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw KeyMaterial.KeyError(message: "cannot write \(tmp!): " + String(cString: strerror(errno))) }
            } else { fd = 1 }
            do {
                _ = try EnvelopeWriter.write(spec, template: try PageTemplate.builtin(), messageSize: Int64(raw.count),
                                             message: { parts.next() }, to: FileSink(fd: fd))
                if let tmp, let output {
                    guard fsync(fd) == 0, close(fd) == 0, rename(tmp, output) == 0 else {
                        throw KeyMaterial.KeyError(message: "cannot write \(output): " + String(cString: strerror(errno)))
                    }
                }
            } catch {
                if let tmp { close(fd); unlink(tmp) }
                throw error
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            printError("sealctl: \(error)")
            throw ExitCode(1)
        }
    }
}

struct EnvelopeOpen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Decrypt an envelope (the original message, byte for byte) or a secure reply.",
        discussion: """
            FILE is a message.html, or a message or text file holding a secure reply block. An envelope
            opens with the organisation's recovery private key (--key) or a passcode (--passcode); a
            secure reply needs the private key and the reply secret (--reply-secret), which checks it.
            Nothing is written unless all of it decrypts and verifies. Exit status: 0 opened, 1 cannot
            be opened (wrong key or passcode, damaged, tampered), 2 usage.
            """)

    @Option(help: "The organisation's recovery private key (PEM).") var key: String?
    @Option(help: "A recipient's passcode (instead of --key).") var passcode: String?
    @Option(help: "The reply secret file (secure replies).") var replySecret: String?
    @Flag(help: "Print the payload's meta JSON instead of the message.") var meta = false
    @Option(name: .shortAndLong, help: "Write the message here instead of standard output.") var output: String?
    @Argument(help: "The envelope page or a message with a secure reply; - for standard input.") var file: String

    func run() throws {
        guard key != nil || passcode != nil else { throw ValidationError("give --key or --passcode") }
        var result: [UInt8] = []
        do {
            let bytes = try readAll(file)
            // An envelope page first: its viewer's script may hold text that looks
            // like a reply block; a secure reply is a message or text without the
            // page's header element.
            let marker = Array("id=\"sealmilter-header\"".utf8)
            let isPage = bytes.count >= marker.count && (0...(bytes.count - marker.count)).contains { i in
                bytes[i] == marker[0] && bytes[i..<(i + marker.count)].elementsEqual(marker)
            }
            if !isPage, let armor = try SecureReply.armor(in: bytes) {
                guard let key, let replySecret else { throw ValidationError("a secure reply needs --key and --reply-secret") }
                let block = try SecureReply.parse(armor: armor)
                result = try SecureReply.open(block, replySecret: try KeyMaterial.replySecret(replySecret),
                                              organisation: try KeyMaterial.p256(key, needPrivate: true))
            } else {
                let r = try EnvelopeReader(page: bytes)
                let ck = try key.map { try r.contentKey(recovery: try KeyMaterial.p256($0, needPrivate: true)) }
                    ?? r.contentKey(passcode: passcode!)
                let m = try r.open(contentKey: ck) { result.append(contentsOf: $0) }
                if meta { result = Array((m.text + "\n").utf8) }
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            printError("sealctl: \(file): \(error)")
            throw ExitCode(1)
        }
        do {
            if let output {
                let fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw KeyMaterial.KeyError(message: "cannot write \(output): " + String(cString: strerror(errno))) }
                defer { close(fd) }
                try FileSink(fd: fd).write(result)
            } else {
                try FileSink(fd: 1).write(result)
            }
        } catch {
            printError("sealctl: \(error)")
            throw ExitCode(1)
        }
    }
}

struct EnvelopeInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an envelope's format version, id, recipients and parameters, without decrypting.")

    @Flag(help: "Print the header JSON.") var json = false
    @Argument(help: "The envelope page (message.html); - for standard input.") var file: String

    func run() throws {
        do {
            let r = try EnvelopeReader(page: try readAll(file))
            if json { print(r.header.text); return }
            let h = r.header
            print("format:     \(h["format"]?.string ?? "?") version \(h["version"]?.int ?? 0)")
            print("id:         \(h["id"]?.string ?? "?")")
            print("created:    \(h["created"]?.string ?? "?")")
            print("expires:    \(h["expires"]?.string ?? "never (as the header says; the binding date is inside)")")
            print("cipher:     \(h["cipher"]?.string ?? "?"), chunks of \(h["chunk"]?.int ?? 0) bytes, payload \(r.size) bytes")
            print("kdf:        \(h["kdf"]?["name"]?.string ?? "?"), \(r.iterations) iterations")
            print("recovery:   \(h["recovery"]?["alg"]?.string ?? "none") key \(h["recovery"]?["kid"]?.string ?? "?")")
            print("recipients: \(r.recipients.count)")
            for (a, hint) in r.recipients { print("  \(a)" + (hint.map { "  (hint: \($0))" } ?? "")) }
        } catch {
            printError("sealctl: \(file): \(error)")
            throw ExitCode(1)
        }
    }
}
