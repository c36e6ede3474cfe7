import Foundation
import Testing
import SealCrypto
@testable import SealSMIME

@Suite struct StoreTests {
    @Test func certificateFacts() throws {
        let pki = try TestPKI()
        let c = try pki.issue("alice", san: ["Alice@Example.org", "a2@example.org"], email: "other@example.org")
        #expect(c.subjectAltNameEmails == ["Alice@Example.org", "a2@example.org"])
        #expect(c.subjectEmails == ["other@example.org"])
        // The SAN wins over the subject's emailAddress.
        #expect(c.emailAddresses == ["Alice@Example.org", "a2@example.org"])
        #expect(c.names("alice@example.org") && !c.names("other@example.org"))
        let subjectOnly = try pki.issue("bob", san: nil, email: "bob@example.org")
        #expect(subjectOnly.emailAddresses == ["bob@example.org"])
        #expect(c.fingerprint.count == 64 && c.fingerprint != subjectOnly.fingerprint)
        // PEM out and back gives the same certificate.
        let again = try Certificate.load(Array(c.pem.utf8))
        #expect(again.count == 1 && again[0].fingerprint == c.fingerprint)
        let der = try Certificate.load(c.der)
        #expect(der[0].fingerprint == c.fingerprint)
        #expect(c.subject.contains("CN=alice") && c.issuer.contains("CN=Test Root CA"))
        #expect(c.notAfter - c.notBefore > 364 * 86400)
        #expect(c.keyType == .rsa(bits: 2048))
        #expect(throws: CertificateError.self) { try Certificate.load(Array("garbage".utf8)) }
    }

    @Test func selectionReasons() throws {
        let pki = try TestPKI()
        let trust = try TrustStore(bundles: [pki.path("ca.pem")])
        let sel = CertificateSelector(trust: trust)
        let now = UTCTime.now()
        let good = try pki.issue("good", san: ["r@example.org"])
        #expect(sel.reason(good, for: "R@example.org", at: now) == nil)
        #expect(sel.reason(good, for: "x@example.org", at: now) == .doesNotName(address: "x@example.org", names: ["r@example.org"]))
        let expired = try pki.issue("expired", san: ["r@example.org"], days: 1, startOffsetDays: -10)
        if case .expired = sel.reason(expired, for: "r@example.org", at: now) {} else { Issue.record("expired not seen") }
        let future = try pki.issue("future", san: ["r@example.org"], startOffsetDays: 5)
        if case .notYetValid = sel.reason(future, for: "r@example.org", at: now) {} else { Issue.record("not yet valid not seen") }
        let signOnly = try pki.issue("signonly", san: ["r@example.org"], keyUsage: "critical,digitalSignature")
        if case .keyUsage = sel.reason(signOnly, for: "r@example.org", at: now) {} else { Issue.record("key usage not seen") }
        #expect(sel.reason(signOnly, for: "r@example.org", at: now, use: .signing) == nil)
        let tls = try pki.issue("tls", san: ["r@example.org"], eku: "serverAuth")
        #expect(sel.reason(tls, for: "r@example.org", at: now) == .extendedKeyUsage)
        let foreign = try pki.issue("foreign", san: ["r@example.org"], ca: "other-ca")
        if case .untrusted(let why) = sel.reason(foreign, for: "r@example.org", at: now) {
            #expect(why.contains("chain"), "\(why)")
        } else { Issue.record("untrusted not seen") }
        let ec = try pki.issue("ec", san: ["r@example.org"], key: "ec:prime256v1", keyUsage: "critical,digitalSignature,keyAgreement")
        #expect(sel.reason(ec, for: "r@example.org", at: now) == nil)

        // Revoked by a configured CRL.
        let revoked = try pki.issue("revoked", san: ["r@example.org"])
        try pki.revoke("revoked")
        let withCRL = CertificateSelector(trust: try TrustStore(bundles: [pki.path("ca.pem")], crlFiles: [pki.path("crl.pem")]))
        if case .revoked = withCRL.reason(revoked, for: "r@example.org", at: now) {} else { Issue.record("revocation not seen") }
        #expect(withCRL.reason(good, for: "r@example.org", at: now) == nil)

        // Selection: the usable one valid longest wins; every other one has its reason.
        let longer = try pki.issue("longer", san: ["r@example.org"], days: 700)
        let s = sel.select(for: "r@example.org", from: [CertificateList([good, expired, longer, tls, foreign])], at: now)
        #expect(s.chosen?.fingerprint == longer.fingerprint)
        #expect(s.candidates.filter { $0.reason == nil }.count == 2)
        let none = sel.select(for: "r@example.org", from: [CertificateList([expired, tls])], at: now)
        #expect(none.chosen == nil && none.summary.contains("no usable certificate") && none.summary.contains("expired"))
    }

    @Test func directoryStore() throws {
        let pki = try TestPKI()
        let root = pki.path("store")
        let store = CertificateDirectory(path: root)
        #expect(try store.certificates(for: "a@example.org").isEmpty)
        let a = try pki.issue("a", san: ["A@Example.org", "alias@example.org"])
        let files = try store.add(a)
        #expect(files.count == 2 && files.allSatisfy { $0.hasSuffix("/\(a.fingerprint).pem") })
        #expect(FileManager.default.fileExists(atPath: root + "/a@example.org/\(a.fingerprint).pem"))
        #expect(try store.certificates(for: "a@EXAMPLE.org").map(\.fingerprint) == [a.fingerprint])
        // A second certificate for the same address; adding the same one again changes nothing.
        let a2 = try pki.issue("a2", san: ["a@example.org"])
        try store.add(a2)
        try store.add(a)
        #expect(Set(try store.certificates(for: "a@example.org").map(\.fingerprint)) == [a.fingerprint, a2.fingerprint])
        #expect(try store.addresses() == ["a@example.org", "alias@example.org"])
        // No temporary files are left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: root + "/a@example.org")
        #expect(names.allSatisfy { $0.hasSuffix(".pem") && !$0.hasPrefix(".") }, "\(names)")
        // Removing by fingerprint prefix removes it under every address.
        let removed = try store.remove(fingerprintPrefix: String(a.fingerprint.prefix(12)))
        #expect(removed.count == 2)
        #expect(try store.certificates(for: "a@example.org").map(\.fingerprint) == [a2.fingerprint])
        #expect(try store.certificates(for: "alias@example.org").isEmpty)
        // Addresses that would leave the store are refused.
        for bad in ["../x", "a/b", "", ".hidden", "a b"] {
            #expect(throws: CertificateDirectory.StoreError.self) { try store.add(a, addresses: [bad]) }
        }
    }

    /// Many readers while a writer adds certificates: every read sees whole files only.
    @Test func concurrentReadersSeeWholeFiles() throws {
        let pki = try TestPKI()
        let store = CertificateDirectory(path: pki.path("store"))
        var certs: [Certificate] = []
        for i in 0..<6 { certs.append(try pki.issue("c\(i)", san: ["many@example.org"])) }
        try store.add(certs[0])
        let all = certs
        let failures = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            if t == 0 {
                for c in all.dropFirst() { do { try store.add(c) } catch { failures.add() } }
            } else {
                for _ in 0..<200 {
                    do {
                        let got = try store.certificates(for: "many@example.org")
                        // A torn file would be skipped and leave fewer than the first one.
                        if got.isEmpty { failures.add() }
                    } catch { failures.add() }
                }
            }
        }
        #expect(failures.value == 0)
        #expect(try store.certificates(for: "many@example.org").count == 6)
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
