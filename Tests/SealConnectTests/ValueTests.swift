import SealConnect
import Testing

@Suite struct ValueTests {
    @Test func tlsVersions() {
        #expect(TLSVersion("TLSv1.3") == .tls1_3)
        #expect(TLSVersion("TLSv1") == .tls1_0 && TLSVersion("tlsv1.0") == .tls1_0 && TLSVersion("1.2") == .tls1_2)
        #expect(TLSVersion("SSLv3")! < .tls1_0)
        #expect(TLSVersion("TLSv1.1")! < .tls1_2 && TLSVersion("TLSv1.2")! < .tls1_3)
        #expect(TLSVersion("TLSv1.4")! > .tls1_3)   // a newer MTA's name still orders
        for bad in ["", "TLS", "TLSv2", "TLSv1.x", "SSLv4", "v1.2", "TLSv1.2.3", "TLSv1.-1"] {
            #expect(TLSVersion(bad) == nil, "\(bad)")
        }
        #expect(TLSVersion.tls1_0.description == "TLSv1" && TLSVersion.tls1_3.description == "TLSv1.3")
    }

    @Test func ipv4Networks() throws {
        let n = try IPNetwork(parsing: "192.0.2.0/24")
        #expect(n.contains("192.0.2.1") && n.contains("192.0.2.255") && n.contains("[192.0.2.7]"))
        #expect(!n.contains("192.0.3.1") && !n.contains("192.0.1.255") && !n.contains("garbage") && !n.contains(""))
        #expect(n.contains("::ffff:192.0.2.9"))           // IPv4-mapped client
        #expect(!n.contains("2001:db8::1"))
        let one = try IPNetwork(parsing: "198.51.100.7")
        #expect(one.prefixLength == 32 && one.contains("198.51.100.7") && !one.contains("198.51.100.8"))
        let odd = try IPNetwork(parsing: "10.0.0.0/9")
        #expect(odd.contains("10.127.255.255") && !odd.contains("10.128.0.0"))
        #expect(try IPNetwork(parsing: "0.0.0.0/0").contains("203.0.113.5"))
        #expect(n.description == "192.0.2.0/24")
    }

    @Test func ipv6Networks() throws {
        let n = try IPNetwork(parsing: "2001:db8::/32")
        #expect(n.contains("2001:db8::1") && n.contains("2001:db8:ffff::1") && n.contains("IPv6:2001:db8::5"))
        #expect(!n.contains("2001:db9::1") && !n.contains("192.0.2.1"))
        let n2 = try IPNetwork(parsing: "2001:db8:0:2::/63")
        #expect(n2.contains("2001:db8:0:3::9") && n2.contains("2001:db8:0:2::") && !n2.contains("2001:db8:0:4::1") && !n2.contains("2001:db8::1"))
        #expect(n.description == "2001:db8::/32")
    }

    @Test func badNetworks() {
        func err(_ s: String) -> IPNetwork.ParseError? {
            do { _ = try IPNetwork(parsing: s); return nil } catch { return error }
        }
        #expect(err("192.0.2.0/33") == .badPrefix("33"))
        #expect(err("192.0.2.0/") == .badPrefix(""))
        #expect(err("2001:db8::/129") == .badPrefix("129"))
        #expect(err("192.0.2.1/24") == .hostBitsSet("192.0.2.1/24"))
        #expect(err("300.0.0.0/8") == .badAddress("300.0.0.0"))
        #expect(err("example.com") == .badAddress("example.com"))
        #expect(err("192.0.2/24") == .badAddress("192.0.2"))
        #expect(err("10.0.0.0/+8") == .badPrefix("+8"))
    }

    @Test func certificateNames() {
        var why = ""
        let exact = CertificateNamePattern("mx.partner.example", why: &why)!
        #expect(exact.matches("MX.Partner.Example") && exact.matches("mx.partner.example.") && !exact.matches("mx2.partner.example"))
        let star = CertificateNamePattern("*.partner.example", why: &why)!
        #expect(star.matches("mx1.partner.example") && !star.matches("a.b.partner.example") && !star.matches("partner.example"))
        #expect(!star.matches("mxpartner.example") && !star.matches("evil-partner.example"))
        let below = CertificateNamePattern(".partner.example", why: &why)!
        #expect(below.matches("a.b.partner.example") && !below.matches("partner.example") && !below.matches("xpartner.example"))
        #expect(star.postfixMatch == ".partner.example" && exact.postfixMatch == "mx.partner.example")
        #expect(CertificateNamePattern("mx*.partner.example", why: &why) == nil && why.contains("leftmost"))
        #expect(CertificateNamePattern("has space.example", why: &why) == nil)
        #expect(CertificateNamePattern("", why: &why) == nil)
    }

    @Test func certificateGlobs() {
        let g = CertificateGlob("Partner Issuing CA*")
        #expect(g.matches("partner issuing ca 2") && g.matches("Partner Issuing CA") && !g.matches("Other CA"))
        #expect(g.matches("/C=DE/O=Partner/CN=Partner Issuing CA 3"))       // Sendmail's DN form
        #expect(g.matches("CN=Partner Issuing CA 1,O=Partner,C=DE"))
        #expect(!g.matches("/C=DE/O=Partner Issuing CA/CN=Evil"))
        let exact = CertificateGlob("mx.partner.example")
        #expect(exact.matches("MX.partner.example") && !exact.matches("mx.partner.example.evil"))
        let mid = CertificateGlob("a*b*c")
        #expect(mid.matches("abc") && mid.matches("aXXbYYc") && !mid.matches("aXXcYYb") && !mid.matches("ab"))
        #expect(CertificateGlob.commonName(in: "/O=x/CN=name") == "name")
    }

    @Test func forwardSecrecyFromCipher() {
        #expect(TLSFacts(version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256").forwardSecrecy)
        #expect(TLSFacts(version: "TLSv1.2", cipher: "ECDHE-RSA-AES256-GCM-SHA384").forwardSecrecy)
        #expect(TLSFacts(version: "TLSv1.2", cipher: "DHE-RSA-AES128-SHA").forwardSecrecy)
        #expect(!TLSFacts(version: "TLSv1.2", cipher: "AES256-GCM-SHA384").forwardSecrecy)
        #expect(!TLSFacts(version: "TLSv1.2", cipher: "ECDH-RSA-AES256-SHA").forwardSecrecy)   // static ECDH
        #expect(!TLSFacts().forwardSecrecy)
        let m = TLSFacts(macros: ["tls_version": "TLSv1.2", "cipher": "X", "cipher_bits": "128", "cert_subject": ""])
        #expect(m.encrypted && m.cipherBits == 128 && m.subject == nil)
    }
}
