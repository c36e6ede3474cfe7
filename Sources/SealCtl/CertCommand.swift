import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import SealCrypto
import SealEngine
import SealPolicy
import SealSMIME

/// `sealctl cert`: the S/MIME recipient certificate store.
struct Cert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Manage and explain the S/MIME recipient certificate store.",
        subcommands: [Import.self, List.self, Show.self, Remove.self, Lookup.self])

    /// Where the store and the trust anchors come from.
    struct StoreOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The policy whose smime: section names the store and the trust store.", valueName: "file"))
        var policy: String = "/etc/sealmilter/sealmilter.yaml"
        @Option(help: ArgumentHelp("The store directory (instead of the policy's smime.store).", valueName: "dir"))
        var store: String?
        @Option(help: ArgumentHelp("A trust anchor or CA bundle (instead of the policy's smime.trust); may be repeated.", valueName: "file"))
        var ca: [String] = []
        @Option(help: ArgumentHelp("A CRL file (with --ca); may be repeated.", valueName: "file"))
        var crl: [String] = []

        /// The policy's smime section, when the store or trust must come from it.
        func settings(needTrust: Bool) throws -> SMIMESettings? {
            if store != nil && (!needTrust || !ca.isEmpty) { return nil }
            let p: Policy
            do { p = try Policy.load(path: policy, registry: Sealctl.registry) } catch {
                printError("sealctl: \(error)")
                printError("sealctl: give --store DIR" + (needTrust ? " and --ca FILE" : "") + " to work without a policy")
                throw ExitCode(1)
            }
            guard let s = p.settings.features[SMIMESettings.self] else {
                printError("sealctl: \(policy) has no smime: section; give --store" + (needTrust ? " and --ca" : ""))
                throw ExitCode(1)
            }
            return s
        }

        func directory() throws -> CertificateDirectory {
            if let store { return CertificateDirectory(path: store) }
            guard let s = try settings(needTrust: false), let d = s.certificateDirectory else {
                printError("sealctl: \(policy): smime.store is not set; give --store DIR")
                throw ExitCode(1)
            }
            return d
        }

        func selector() throws -> CertificateSelector {
            do {
                if !ca.isEmpty { return CertificateSelector(trust: try TrustStore(bundles: ca, crlFiles: crl)) }
                guard let s = try settings(needTrust: true) else { throw ExitCode(1) }
                return try s.selector()
            } catch let e as ExitCode { throw e } catch {
                printError("sealctl: the trust store cannot be used: \(error)")
                throw ExitCode(1)
            }
        }

        func sources() throws -> [any RecipientCertificateSource] {
            // The policy's LDAP directory too (smime.ldap), after the store.
            let ldap = store == nil ? (try? settings(needTrust: false))??.ldapDirectory : nil
            return [try directory()] + (ldap.map { [$0] } ?? [])
        }
    }

    static func fail(_ message: String) -> ExitCode {
        printError("sealctl: " + message)
        return ExitCode(1)
    }

    static func describe(_ c: Certificate, selector: CertificateSelector?, address: String?) -> String {
        var s = "sha256:   \(c.fingerprint)\n"
        s += "subject:  \(c.subject)\nissuer:   \(c.issuer)\nserial:   \(c.serialHex)\n"
        s += "valid:    \(UTCTime.text(c.notBefore)) to \(UTCTime.text(c.notAfter))\n"
        s += "key:      \(c.keyType)\n"
        s += "emails:   \(c.emailAddresses.joined(separator: ", "))\n"
        if let selector {
            let now = UTCTime.now()
            for a in address.map({ [$0] }) ?? c.emailAddresses {
                let r = selector.reason(c, for: a, at: now)
                s += "usable:   \(a): " + (r.map { "no, \($0)" } ?? "yes") + "\n"
            }
        }
        return s
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add certificates (PEM or DER files, several per file) to the store, filed under the addresses they name.")
        @OptionGroup var options: StoreOptions
        @Flag(help: "Import only certificates usable now (chain to the trust store, right usage, valid).")
        var verify = false
        @Argument(help: "Certificate files.") var files: [String]

        func run() throws {
            let dir = try options.directory()
            let selector = verify ? try options.selector() : nil
            var failed = false
            for f in files {
                let certs: [Certificate]
                do { certs = try Certificate.load(file: f) } catch { printError("sealctl: \(error)"); failed = true; continue }
                for c in certs {
                    if let selector, let a = c.emailAddresses.first, let r = selector.reason(c, for: a, at: UTCTime.now()) {
                        printError("sealctl: \(f): \(c.subject) not imported: \(r)"); failed = true; continue
                    }
                    do {
                        let written = try dir.add(c)
                        print("imported \(c.fingerprint) \(c.emailAddresses.joined(separator: ",")) (\(written.count) file(s))")
                    } catch { printError("sealctl: \(f): \(error)"); failed = true }
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the store: address, fingerprint, expiry, subject.")
        @OptionGroup var options: StoreOptions
        @Argument(help: "Only this address.") var address: String?

        func run() throws {
            let dir = try options.directory()
            do {
                let all = try address.map { a throws in try dir.read(a).map { (a.lowercased(), $0) } } ?? dir.all().map { ($0.address, $0.certificate) }
                for (a, c) in all {
                    print("\(a)\t\(c.fingerprint)\t\(UTCTime.text(c.notAfter))\t\(c.subject)")
                }
            } catch { throw Cert.fail("\(error)") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a certificate of the store (by fingerprint prefix) or a file, and whether it is usable.")
        @OptionGroup var options: StoreOptions
        @Argument(help: "A fingerprint prefix (at least 8 hex digits) or a certificate file.") var what: String

        func run() throws {
            var certs: [Certificate] = []
            if access(what, R_OK) == 0 {
                do { certs = try Certificate.load(file: what) } catch { throw Cert.fail("\(error)") }
            } else {
                let p = what.lowercased().filter { $0 != ":" }
                do {
                    var seen = Set<String>()
                    certs = try options.directory().all().map(\.certificate).filter { $0.fingerprint.hasPrefix(p) && seen.insert($0.fingerprint).inserted }
                } catch let e as ExitCode { throw e } catch { throw Cert.fail("\(error)") }
                if certs.isEmpty { throw Cert.fail("no certificate in the store has the fingerprint \(what)") }
            }
            let selector = try? options.selector()
            for c in certs { print(Cert.describe(c, selector: selector, address: nil)) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a certificate from the store (under every address) by fingerprint prefix.")
        @OptionGroup var options: StoreOptions
        @Argument(help: "A fingerprint prefix (at least 8 hex digits).") var fingerprint: String

        func run() throws {
            let dir = try options.directory()
            do {
                let removed = try dir.remove(fingerprintPrefix: fingerprint)
                if removed.isEmpty { throw Cert.fail("no certificate in the store has the fingerprint \(fingerprint)") }
                for f in removed { print("removed \(f)") }
            } catch let e as ExitCode { throw e } catch { throw Cert.fail("\(error)") }
        }
    }

    struct Lookup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Say which certificate encryption to ADDRESS would use, or why none (each certificate with its reason).")
        @OptionGroup var options: StoreOptions
        @Argument(help: "The recipient address.") var address: String

        func run() throws {
            let selector = try options.selector()
            let sel = selector.select(for: address, from: try options.sources(), at: UTCTime.now())
            for e in sel.sourceErrors { printError("sealctl: \(e)") }
            for c in sel.candidates {
                print("\(c.certificate.fingerprint) \(c.reason.map { "unusable: \($0)" } ?? "usable") (\(c.certificate.subject), until \(UTCTime.text(c.certificate.notAfter)))")
            }
            if let c = sel.chosen {
                print("\(sel.address): would use \(c.fingerprint)")
            } else {
                print("\(sel.address): no usable certificate" + (sel.candidates.isEmpty ? " (none on file)" : ""))
                throw ExitCode(1)
            }
        }
    }
}
