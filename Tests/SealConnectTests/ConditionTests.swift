import SealConnect
import SealEngine
import SealPolicy
import Testing

/// Each condition through a real session: a rule that adds a header when it holds.
@Suite struct ConditionTests {
    static let connectors = """
        internal_domains: [example.com]
        connectors:
          - name: acme
            domains: [acme.example]
            networks: [192.0.2.0/24]
            require_tls: false
          - name: bank
            domains: [bank.example]
            outbound: secure
            certificate_names: [mx.bank.example]
          - name: opportunistic
            domains: [dane.example]
            outbound: dane
        """

    /// Whether the rule `when: WHEN` held for this connection and envelope.
    func holds(_ when: String, _ c: Conn = .plain, from: String = "alice@other.example",
               to: [String] = ["bob@example.com"], sectionless: Bool = false) throws -> Bool {
        let yaml = (sectionless ? "" : Self.connectors + "\n") + """
            rules:
              - name: probe
                when: \(when)
                actions: [{add_header: {name: X-Probe, value: held}}]
            """
        let (s, d) = message(try policy(yaml), c, from: from, to: to)
        #expect(d == .accept, "\(s.logLine)")
        return s.headerEdits.contains { $0.name == "X-Probe" }
    }

    @Test func tlsVersion() throws {
        #expect(try holds("{tls_version: TLSv1.2}", .tls("TLSv1.3")))
        #expect(try holds("{tls_version: TLSv1.2}", .tls("TLSv1.2")))
        #expect(try !holds("{tls_version: TLSv1.2}", .tls("TLSv1.1")))
        #expect(try !holds("{tls_version: TLSv1.2}", .plain))
        #expect(try holds("{tls_version: {exact: TLSv1.2}}", .tls("TLSv1.2")))
        #expect(try !holds("{tls_version: {exact: TLSv1.2}}", .tls("TLSv1.3")))
        #expect(try holds("{tls_version: {min: TLSv1.3}}", .tls("TLSv1.3")))
        #expect(try holds("{tls_version: none}", .plain))
        #expect(try !holds("{tls_version: none}", .tls("TLSv1")))
    }

    @Test func cipher() throws {
        #expect(try holds("{cipher: \"ECDHE-*\"}", .tls("TLSv1.2", cipher: "ECDHE-RSA-AES256-GCM-SHA384")))
        #expect(try !holds("{cipher: \"ECDHE-*\"}", .tls("TLSv1.2", cipher: "AES256-SHA")))
        #expect(try !holds("{cipher: \"*\"}", .plain))
        #expect(try holds("{cipher: {min_bits: 256}}", .tls(bits: "256")))
        #expect(try !holds("{cipher: {min_bits: 256}}", .tls(bits: "128")))
        #expect(try holds("{cipher: {forward_secrecy: false}}", .tls("TLSv1.2", cipher: "AES128-SHA")))
        #expect(try !holds("{cipher: {forward_secrecy: false}}", .tls("TLSv1.3")))
        #expect(try holds("{cipher: {names: [\"TLS_AES_*\"], forward_secrecy: true}}", .tls("TLSv1.3")))
    }

    @Test func certificateNames() throws {
        #expect(try holds("{tls_cert_subject: \"*.acme.example\"}", .tls(subject: "mx.acme.example")))
        #expect(try !holds("{tls_cert_subject: \"*.acme.example\"}", .tls(subject: "mx.evil.example")))
        #expect(try !holds("{tls_cert_subject: \"*\"}", .tls()))        // no verified certificate
        #expect(try holds("{tls_cert_issuer: [\"Other\", \"Acme CA*\"]}", .tls(subject: "x", issuer: "Acme CA 7")))
        #expect(try !holds("{tls_cert_issuer: \"Acme CA*\"}", .tls(subject: "x", issuer: "Evil CA")))
    }

    @Test func clientNetwork() throws {
        #expect(try holds("{client_network: [198.51.100.0/24, 192.0.2.0/25]}", Conn(client: "192.0.2.5")))
        #expect(try !holds("{client_network: [198.51.100.0/24, 192.0.2.0/25]}", Conn(client: "192.0.2.200")))
        #expect(try holds("{client_network: \"2001:db8::/32\"}", Conn(client: "2001:db8::25")))
        #expect(try !holds("{client_network: \"2001:db8::/32\"}", Conn(client: "192.0.2.5")))
    }

    @Test func connectorMembership() throws {
        // Inbound through acme by network or sender domain; outbound to bank.
        #expect(try holds("{connector: acme}", Conn(client: "192.0.2.9")))
        #expect(try holds("{connector: acme}", Conn(client: "203.0.113.1"), from: "x@acme.example"))
        #expect(try !holds("{connector: acme}", Conn(client: "203.0.113.1")))
        #expect(try holds("{connector: [acme, bank]}", Conn(client: "203.0.113.1"), from: "a@example.com", to: ["c@bank.example"]))
        #expect(try holds("{connector: any}", Conn(client: "203.0.113.1"), from: "a@example.com", to: ["c@bank.example"]))
        #expect(try !holds("{connector: any}", Conn(client: "203.0.113.1")))
        #expect(try holds("{connector: none}", Conn(client: "203.0.113.1")))
        #expect(try !holds("{connector: none}", Conn(client: "192.0.2.1")))
    }

    @Test func recipientForcedTLS() throws {
        let out = Conn(client: "203.0.113.1")
        // bank has secure: forced; dane.example only opportunistic dane; internal recipients do not count.
        #expect(try holds("{recipient_forced_tls: false}", out, from: "a@example.com", to: ["x@gmail.example"]))
        #expect(try !holds("{recipient_forced_tls: false}", out, from: "a@example.com", to: ["x@bank.example"]))
        #expect(try holds("{recipient_forced_tls: false}", out, from: "a@example.com", to: ["x@dane.example"]))
        #expect(try !holds("{recipient_forced_tls: false}", out, from: "a@example.com", to: ["x@example.com"]))
        #expect(try holds("{recipient_forced_tls: false}", out, from: "a@example.com", to: ["x@bank.example", "y@other.example"]))
        #expect(try holds("{recipient_forced_tls: true}", out, from: "a@example.com", to: ["x@bank.example"]))
        #expect(try !holds("{recipient_forced_tls: true}", out, from: "a@example.com", to: ["x@acme.example"]))
    }

    /// The documented example: outbound sensitive mail to a domain without a
    /// forced-TLS connector is quarantined; to the bank it goes.
    @Test func documentedExample() throws {
        let yaml = Self.connectors + "\n" + """
            rules:
              - name: unprotected-sensitive
                when:
                  direction: outbound
                  subject: {contains: [confidential]}
                  recipient_forced_tls: false
                actions: [{quarantine: "sensitive mail to a domain without forced TLS"}]
            """
        let p = try policy(yaml)
        func run(_ to: String) -> Session {
            let s = Session(engine: Engine(policy: p))
            _ = s.mailFrom("<a@example.com>"); _ = s.rcpt("<\(to)>")
            _ = s.header(name: "Subject", value: "Confidential figures")
            _ = s.endOfHeaders()
            _ = s.endOfMessage()
            return s
        }
        #expect(run("x@gmail.example").quarantineReason == "sensitive mail to a domain without forced TLS")
        #expect(run("x@bank.example").quarantineReason == nil)
    }
}
