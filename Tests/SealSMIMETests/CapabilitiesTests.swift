import Foundation
import Testing
import SealCrypto
@testable import SealSMIME

/// The harvested S/MIME capabilities and the cipher `smime_encrypt` chooses from them.
@Suite struct CapabilitiesTests {
    static let gcm = SMIMECapabilities(text: "aes-256-cbc\nid-aes256-GCM\n")
    static let cbcOnly = SMIMECapabilities(text: "aes-256-cbc\naes-192-cbc\naes-128-cbc\n")

    @Test func parsesCapsFiles() {
        let c = SMIMECapabilities(text: "# harvested\r\n  aes-256-cbc \r\n\r\nid-aes256-GCM\r\n")
        #expect(c.algorithms == ["aes-256-cbc", "id-aes256-GCM"])
        #expect(c.advertisesAES256GCM)
        #expect(SMIMECapabilities(text: "2.16.840.1.101.3.4.1.46\n").advertisesAES256GCM)
        #expect(SMIMECapabilities(text: "ID-AES256-gcm").advertisesAES256GCM)
        // AES-128-GCM, a look-alike OID and CBC are not AES-256-GCM.
        #expect(!SMIMECapabilities(text: "id-aes128-GCM\n2.16.840.1.101.3.4.1.6\n2.16.840.1.101.3.4.1.460\n").advertisesAES256GCM)
        #expect(!Self.cbcOnly.advertisesAES256GCM)
        #expect(!SMIMECapabilities(text: "").advertisesAES256GCM)
    }

    @Test func autoTakesGCMOnlyWhenEveryRecipientAdvertisesIt() {
        let auto = CipherChoice.auto
        #expect(auto.cipher(for: [Self.gcm]) == .aes256gcm)
        #expect(auto.cipher(for: [Self.gcm, Self.gcm]) == .aes256gcm)
        // Some: one CMS for all, so the widest cipher.
        #expect(auto.cipher(for: [Self.gcm, Self.cbcOnly]) == .aes256cbc)
        #expect(auto.cipher(for: [Self.gcm, nil]) == .aes256cbc)
        // None.
        #expect(auto.cipher(for: [nil, nil]) == .aes256cbc)
        #expect(auto.cipher(for: [Self.cbcOnly]) == .aes256cbc)
        #expect(auto.cipher(for: []) == .aes256cbc)
        // A rule that forces a cipher gets it whatever the recipients advertise.
        #expect(CipherChoice.fixed(.aes256gcm).cipher(for: [nil]) == .aes256gcm)
        #expect(CipherChoice.fixed(.aes256cbc).cipher(for: [Self.gcm]) == .aes256cbc)
        #expect(CipherChoice(text: "gcm") == .fixed(.aes256gcm) && CipherChoice(text: "CBC") == .fixed(.aes256cbc))
        #expect(CipherChoice(text: "auto") == .auto && CipherChoice(text: "aes-128-cbc") == .fixed(.aes128cbc))
        #expect(CipherChoice(text: "des") == nil)
    }

    /// Harvesting writes `.caps` beside the certificate; the selection reads it for
    /// the chosen certificate only; removing the certificate removes it.
    @Test func selectionCarriesTheChosenCertificatesCapabilities() throws {
        let pki = try TestPKI()
        let trust = try TrustStore(bundles: [pki.path("ca.pem")])
        let selector = CertificateSelector(trust: trust)
        let store = CertificateDirectory(path: pki.path("capstore"))
        let a = try pki.issue("a", san: ["a@example.org"])
        let b = try pki.issue("b", san: ["b@example.org"])
        #expect(try Harvest.add(a, capabilities: ["aes-256-cbc", "id-aes256-GCM"], store: store).get())
        #expect(try Harvest.add(b, capabilities: [], store: store).get())
        let now = UTCTime.now()
        let sa = selector.select(for: "A@example.org", from: [store], at: now)
        #expect(sa.chosen?.fingerprint == a.fingerprint)
        #expect(sa.capabilities?.advertisesAES256GCM == true, "\(String(describing: sa.capabilities))")
        let sb = selector.select(for: "b@example.org", from: [store], at: now)
        #expect(sb.chosen?.fingerprint == b.fingerprint && sb.capabilities == nil)
        // A certificate from a source without capabilities (a list, LDAP) has none.
        let sl = selector.select(for: "a@example.org", from: [CertificateList([a])], at: now)
        #expect(sl.chosen != nil && sl.capabilities == nil)
        #expect(CipherChoice.auto.cipher(for: [sa.capabilities]) == .aes256gcm)
        #expect(CipherChoice.auto.cipher(for: [sa.capabilities, sb.capabilities]) == .aes256cbc)
        // An expired certificate's capabilities are not the chosen one's.
        let old = try pki.issue("old", san: ["c@example.org"], days: 1, startOffsetDays: -10)
        let c = try pki.issue("c", san: ["c@example.org"])
        _ = try Harvest.add(old, capabilities: ["id-aes256-GCM"], store: store).get()
        _ = try Harvest.add(c, capabilities: ["aes-256-cbc"], store: store).get()
        let sc = selector.select(for: "c@example.org", from: [store], at: now)
        #expect(sc.chosen?.fingerprint == c.fingerprint && sc.capabilities?.advertisesAES256GCM == false)
        // Removal takes the .caps file along.
        try store.remove(fingerprintPrefix: String(a.fingerprint.prefix(16)))
        #expect(!FileManager.default.fileExists(atPath: pki.path("capstore") + "/a@example.org/\(a.fingerprint).caps"))
    }
}
