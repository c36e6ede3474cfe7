import SealConnect
import SealEngine
import SealPolicy
import Testing

@Suite struct PolicyTests {
    static let full = """
        internal_domains: [example.com]
        connectors:
          - name: acme
            domains: [acme.example, .acme.example]
            networks: [192.0.2.0/24, "2001:db8::/32"]
            min_tls_version: TLSv1.2
            certificate_names: ["*.acme.example", mx.acme.example]
            certificate_issuers: ["Acme Issuing CA*"]
            min_cipher_bits: 128
            forward_secrecy: true
            on_violation: reject
            reply: {code: "554", xcode: "5.7.1", text: "Acme mail must use TLS"}
          - name: bank
            domains: bank.example
            outbound: dane-only
          - name: branch
            networks: 198.51.100.0/24
            direction: inbound
            require_tls: false
        """

    @Test func loadsConnectors() throws {
        let p = try policy(Self.full)
        let s = try #require(p.settings.features[ConnectorSettings.self])
        #expect(s.connectors.map(\.name) == ["acme", "bank", "branch"])
        let a = try #require(s[name: "acme"])
        #expect(a.domains == ["acme.example", ".acme.example"] && a.networks.count == 2 && a.direction == .both)
        #expect(a.requireTLS && a.minVersion == .tls1_2 && a.names.count == 2 && a.issuers.count == 1)
        #expect(a.minCipherBits == 128 && a.forwardSecrecy && a.onViolation == .reject)
        #expect(a.reply == SMTPReply(code: "554", extendedCode: "5.7.1", text: "Acme mail must use TLS") && a.line == 3)
        #expect(a.effectiveOutbound == .secure && a.forcesTLSOutbound)
        let b = try #require(s[name: "bank"])
        #expect(b.onViolation == .tempfail && b.reply.code == "450" && b.reply.extendedCode == "4.7.1")
        #expect(b.effectiveOutbound == .daneOnly && b.forcesTLSOutbound)
        let c = try #require(s[name: "branch"])
        #expect(!c.requireTLS && c.effectiveOutbound == nil && !c.forcesTLSOutbound && !c.appliesOutbound)
        #expect(a.covers(domain: "acme.example") && a.covers(domain: "mx.acme.example") && !a.covers(domain: "notacme.example"))
    }

    @Test func errorsWithLines() {
        let yaml = """
            connectors:
              - name: a
                networks: [192.0.2.0/33, 10.1.2.3/8, nonsense]
                min_tls_version: TLSv1.4
              - name: b
                domains: b.example
                require_tls: false
                min_tls_version: TLSv1.2
                forward_secrecy: true
                outbound: secure
              - name: c
                networks: 192.0.2.0/24
                direction: inbound
                outbound: dane
              - name: d
              - name: a
                domains: x.example
              - name: e
                domains: b.example
                on_violation: tempfail
                reply: {code: "550", text: "no"}
              - name: f
                domains: f.example
                certificate_names: ["mx*.f.example"]
                tls: yes
            """
        let e = problems(yaml)
        func has(_ line: Int, _ text: String) -> Bool { e.contains { $0.hasPrefix("\(line): ") && $0.contains(text) } }
        #expect(has(3, "'33' is not a prefix length"), "\(e)")
        #expect(has(3, "bits set after the prefix"), "\(e)")
        #expect(has(3, "'nonsense' is not an IPv4 or IPv6 address"), "\(e)")
        #expect(has(4, "unknown TLS version 'TLSv1.4'"), "\(e)")
        #expect(has(8, "min_tls_version contradicts require_tls: false"), "\(e)")
        #expect(has(9, "forward_secrecy contradicts require_tls: false"), "\(e)")
        #expect(has(10, "outbound: secure contradicts require_tls: false"), "\(e)")
        #expect(has(14, "direction is inbound"), "\(e)")
        #expect(has(15, "names no partner"), "\(e)")
        #expect(has(16, "duplicate connector name 'a'"), "\(e)")
        #expect(has(21, "must be a temporary failure"), "\(e)")
        #expect(has(24, "leftmost label"), "\(e)")
        #expect(has(25, "unknown key 'tls'"), "\(e)")
    }

    @Test func duplicateOutboundDomainAndInternalDomain() {
        let e = problems("""
            connectors:
              - name: one
                domains: [partner.example]
              - name: two
                domains: [partner.example]
              - name: three
                domains: [partner.example]
                direction: inbound
            """)
        #expect(e.count == 1 && e[0].hasPrefix("4: ") && e[0].contains("already in connector 'one'"), "\(e)")
        let e2 = problems("""
            internal_domains: [example.com]
            connectors:
              - name: three
                domains: [.example.com]
            """)
        #expect(e2.contains { $0.hasPrefix("3: ") && $0.contains("is one of internal_domains") }, "\(e2)")
    }

    @Test func sectionShape() {
        #expect(problems("connectors: {name: a}").contains { $0.contains("expected a list of connectors") })
        // A connector's key written at the top level gets the hint.
        #expect(problems("min_tls_version: TLSv1.2").contains { $0.contains("this goes under 'connectors:'") })
        // Unregistered, the section is unknown (the composition root's line makes it known).
        #expect(!Policy.diagnose(yaml: "connectors: []", file: "t", registry: .builtin).isEmpty)
        #expect(problems("connectors: []").isEmpty)
    }

    @Test func conditionsNeedTheSection() {
        let e = problems("""
            rules:
              - name: r
                when: {connector: acme}
                actions: [reject]
              - name: s
                when: {recipient_forced_tls: false}
                actions: [quarantine]
            """)
        #expect(e.contains { $0.contains("needs the 'connectors:' section") && $0.hasPrefix("2: ") }, "\(e)")
        #expect(e.contains { $0.contains("recipient_forced_tls: needs the 'connectors:' section") && $0.hasPrefix("5: ") }, "\(e)")
        let e2 = problems("connectors: [{name: acme, domains: acme.example}]\nrules:\n  - name: r\n    when: {connector: [acme, acne]}\n    actions: [reject]\n")
        #expect(e2.contains { $0.contains("no connector named 'acne'") }, "\(e2)")
        #expect(!e2.contains { $0.contains("'acme'") }, "\(e2)")
        let e3 = problems("rules:\n  - name: r\n    when: {client_network: [10.0.0.0/8, 10.0.0.1/8], tls_version: TLSv9}\n    actions: [reject]\n")
        #expect(e3.contains { $0.hasPrefix("3: ") && $0.contains("bits set after the prefix") }, "\(e3)")
        #expect(e3.contains { $0.hasPrefix("3: ") && $0.contains("unknown TLS version 'TLSv9'") }, "\(e3)")
    }
}
