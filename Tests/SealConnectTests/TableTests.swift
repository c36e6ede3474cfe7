import SealConnect
import SealEngine
import SealPolicy
import Testing

@Suite struct TableTests {
    func table(_ yaml: String) throws -> TLSPolicyTable {
        let p = try policy(yaml)
        return TLSPolicyTable(try #require(p.settings.features[ConnectorSettings.self]))
    }

    @Test func levelsAndAttributes() throws {
        let t = try table("""
            connectors:
              - name: acme
                domains: [acme.example, .acme.example]
                certificate_names: ["*.acme.example", mx.acme.example, ".acme.example"]
                min_tls_version: TLSv1.2
                min_cipher_bits: 128
                forward_secrecy: true
              - name: plain-encrypt
                domains: enc.example
              - name: verify
                domains: ver.example
                outbound: verify
                min_tls_version: TLSv1.3
              - name: bank
                domains: bank.example
                outbound: dane-only
              - name: opp
                domains: opp.example
                outbound: dane
                require_tls: false
              - name: inbound-only
                domains: in.example
                direction: inbound
              - name: members
                domains: m.example
                require_tls: false
              - name: sts
                domains: sts.example
                outbound: mta-sts
              - name: sts-soft
                domains: soft.example
                outbound: mta_sts
                require_tls: false
            """)
        let lines = t.entries.map(\.line)
        #expect(lines == [
            "acme.example secure match=.acme.example:mx.acme.example protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1 ciphers=high exclude=kRSA",
            ".acme.example secure match=.acme.example:mx.acme.example protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1 ciphers=high exclude=kRSA",
            "enc.example encrypt",
            "ver.example verify protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1:!TLSv1.2",
            "bank.example dane-only",
            "opp.example dane",
            "sts.example encrypt",
        ], "\(lines)")
        #expect(t.notes.contains { $0.contains("members") && $0.contains("no entry") })
        #expect(t.notes.contains { $0.contains("connector sts:") && $0.contains("encrypt' is the floor") })
        #expect(t.notes.contains { $0.contains("connector sts-soft:") && !$0.contains("floor") })
        #expect(!lines.contains { $0.hasPrefix("in.example") || $0.hasPrefix("soft.example") })
        let text = t.render(source: "/etc/sealmilter/sealmilter.yaml")
        #expect(text.hasPrefix("# Postfix smtp_tls_policy_maps table"))
        #expect(text.contains("\n# connector acme\nacme.example secure"))
        // Every non-comment line is KEY VALUE as postmap reads it.
        for l in text.split(separator: "\n") where !l.hasPrefix("#") {
            #expect(l.split(separator: " ").count >= 2 && !l.contains("\t"))
        }
    }

    @Test func emptyWithoutOutbound() throws {
        let t = try table("connectors: [{name: lan, networks: 10.0.0.0/8, direction: inbound}]")
        #expect(t.entries.isEmpty)
    }
}
