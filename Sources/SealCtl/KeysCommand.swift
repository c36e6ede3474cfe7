import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import SealCrypto
import SealEnvelope

/// `sealctl keys`: key material for the policy's `keys:` section.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make key material for the policy's keys: section.",
        subcommands: [KeysInit.self])
}

struct KeysInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Make the organisation's envelope recovery key pair (P-256) and the secure-reply secret.",
        discussion: """
            Writes DIR/envelope-recovery.pem (the private key, mode 0600), DIR/envelope-recovery.pub.pem
            (its public key, for 'sealctl envelope seal --recovery-key'), and DIR/envelope-reply.secret
            (32 random bytes, base64, mode 0600), then prints the keys: and envelope: lines for the
            policy. Existing files are never overwritten. Keep a copy of the private key somewhere
            safe: without it, envelopes cannot be recovered and secure replies cannot be read.
            """)

    @Option(help: "Directory for the key files.") var dir: String = "/etc/sealmilter/keys"
    @Option(help: ArgumentHelp("Give the files to this user (the one the daemon runs as).", valueName: "user"))
    var user: String?

    func run() throws {
        var owner: (uid_t, gid_t)? = nil
        if let user {
            guard let pw = getpwnam(user) else { printError("sealctl: unknown user \(user)"); throw ExitCode(2) }
            owner = (pw.pointee.pw_uid, pw.pointee.pw_gid)
        }
        let priv = dir + "/envelope-recovery.pem", pub = dir + "/envelope-recovery.pub.pem", secret = dir + "/envelope-reply.secret"
        for p in [priv, pub, secret] where access(p, F_OK) == 0 {
            printError("sealctl: \(p) exists; not overwriting key material (move it away first)")
            throw ExitCode(1)
        }
        do {
            let key = try P256Key.generate()
            try writeNew(priv, Array(try key.privatePEM().utf8), mode: 0o600, owner: owner)
            try writeNew(pub, Array(try key.publicPEM().utf8), mode: 0o644, owner: owner)
            try writeNew(secret, Array((Base64.encode(try SealCrypto.randomBytes(32)) + "\n").utf8), mode: 0o600, owner: owner)
        } catch {
            printError("sealctl: \(error)")
            throw ExitCode(1)
        }
        print("""
            # Add to the policy (sealctl check-config checks the files):
            keys:
              envelope_recovery: \(priv)
              envelope_reply: \(secret)
            envelope:
              recovery_key: envelope_recovery
              reply_secret: envelope_reply
            """)
    }

    func writeNew(_ path: String, _ bytes: [UInt8], mode: mode_t, owner: (uid_t, gid_t)?) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw KeyMaterial.KeyError(message: "cannot create \(path): " + String(cString: strerror(errno))) }
        defer { close(fd) }
        fchmod(fd, mode)
        if let (u, g) = owner, fchown(fd, u, g) != 0 {
            throw KeyMaterial.KeyError(message: "cannot give \(path) to uid \(u): " + String(cString: strerror(errno)))
        }
        try FileSink(fd: fd).write(bytes)
        guard fsync(fd) == 0 else { throw KeyMaterial.KeyError(message: "cannot write \(path): " + String(cString: strerror(errno))) }
    }
}
