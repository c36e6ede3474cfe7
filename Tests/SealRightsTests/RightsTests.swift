import XCTest
import Foundation
import SealEngine
import SealPolicy
import SealRegistry
@testable import SealRights

final class TemplateTests: XCTestCase {
    func load(_ yaml: String) throws -> Policy { try Policy.parse(yaml: yaml, file: "p.yaml", registry: rightsRegistry) }

    func testBuiltinsAndCustom() throws {
        let p = try load("""
            internal_domains: [example.com]
            rights:
              templates:
                board:
                  no_forward: true
                  no_reply_all: true
                  no_copy: true
                  expiry: 2w
                  watermark: true
                  violation: {action: quarantine, text: "held: {message_id}"}
                read-only: {reply: false, no_print: true}
            """)
        let s = try XCTUnwrap(p.settings.features[RightsSettings.self])
        XCTAssertEqual(s.location, .sqlite(path: RightsSettings.defaultPath))
        XCTAssertEqual(s.onRegistryError, .tempfail)
        XCTAssertEqual(s.templates["do-not-forward"]?.noForward, true)
        XCTAssertEqual(s.templates["encrypt-only"]?.restricts, false)
        let b = try XCTUnwrap(s.templates["board"])
        XCTAssertEqual(b.expirySeconds, 14 * 86400)
        XCTAssertEqual(b.violation.action, .quarantine)
        XCTAssertTrue(b.noReplyAll && b.noCopy && b.watermark && b.reply && !b.noPrint)
        XCTAssertEqual(s.templates["read-only"]?.reply, false)
        XCTAssertEqual(b.metaJSON(sent: 0),
                       "{\"template\":\"board\",\"no_forward\":true,\"no_reply_all\":true,\"no_print\":false,\"no_copy\":true,\"watermark\":true,\"reply\":true,\"expires\":\"1970-01-15T00:00:00Z\"}")
        XCTAssertEqual(RFC3339.format(1_800_000_000), "2027-01-15T08:00:00Z")
    }

    func testContradictionsAndMistakesAreRefusedWithTheirLine() {
        func refused(_ body: String, line: Int, _ fragment: String, file: StaticString = #filePath, testLine: UInt = #line) {
            let yaml = "internal_domains: [example.com]\nrights:\n" + body
            do {
                _ = try load(yaml)
                XCTFail("accepted: \(body)", file: file, line: testLine)
            } catch {
                let text = "\(error)"
                XCTAssertTrue(text.contains("p.yaml:\(line):"), "line \(line) expected: \(text)", file: file, line: testLine)
                XCTAssertTrue(text.contains(fragment), "'\(fragment)' expected: \(text)", file: file, line: testLine)
            }
        }
        refused("  templates:\n    t1: {expiry: 0}\n", line: 4, "must be more than 0")
        refused("  templates:\n    t1: {expiry: -3d}\n", line: 4, "must be more than 0")
        refused("  templates:\n    t1: {expiry: soon}\n", line: 4, "expected a duration")
        refused("  templates:\n    t1: {no_forwrd: true}\n", line: 4, "did you mean 'no_forward'")
        refused("  templates:\n    encrypt-only: {no_print: true}\n", line: 4, "built in and cannot be redefined")
        refused("  templates:\n    t1:\n      reply: false\n      no_reply_all: true\n", line: 6, "contradicts itself")
        refused("  templates:\n    t1: {no_print: true, violation: {action: reject}}\n", line: 4, "only a template with no_forward")
        refused("  templates:\n    t1: {no_forward: true, violation: {action: bounce}}\n", line: 4, "expected reject or quarantine")
        refused("  templates:\n    T 1: {no_forward: true}\n", line: 4, "not a template name")
        refused("  registry: {sqlite: rel/path.db}\n", line: 3, "absolute path")
        refused("  registry: {mysql: x}\n", line: 3, "unknown key 'mysql'")
        refused("  on_registry_error: pass\n", line: 3, "tempfail or pass_flagged")
        refused("  inside: plain\n", line: 3, "envelope or labels")
        refused("  manual: {tags: {\"[x]\": nothing}}\n", line: 3, "no template 'nothing'")
        refused("  fingerprints: {threshold: 2}\n", line: 3, "at most 1")
        // A protect action naming an unknown template, at its rule's line.
        do {
            _ = try load("internal_domains: [example.com]\nrights: {}\nrules:\n  - name: r\n    actions:\n      - protect: {template: nope}\n")
            XCTFail("accepted an unknown template")
        } catch { XCTAssertTrue("\(error)".contains("no rights template 'nope'"), "\(error)") }
        // The actions and conditions need the section.
        do {
            _ = try load("internal_domains: [example.com]\nrules:\n  - name: r\n    when: {forwards_protected: true}\n    actions: [enforce_rights]\n")
            XCTFail("accepted without rights:")
        } catch { XCTAssertTrue("\(error)".contains("needs the 'rights:' section"), "\(error)") }
    }
}

final class FingerprintTests: XCTestCase {
    let fp = FingerprintSettings()
    var sample: [UInt64] { Fingerprint.sample(Fingerprint.hashes(of: [protectedText], shingle: 5), k: 64) }

    func containment(_ outbound: String) -> Double {
        Fingerprint.containment(sample: sample, in: Fingerprint.hashes(of: [outbound], shingle: 5))
    }


    func testQuotedAndRewrappedMatch() {
        XCTAssertEqual(sample.count, 64)
        XCTAssertEqual(containment(protectedText), 1)
        let q = "Hi Eve, have a look at this.\n\nOn Monday Alice wrote:\n" + quoted(protectedText, width: 42) + "\n\nCheers"
        XCTAssertEqual(containment(q), 1)
        XCTAssertEqual(containment(quoted(quoted(protectedText, width: 60), width: 30, prefix: ">> ")), 1)
        // Case, punctuation, HTML.
        XCTAssertEqual(containment("<html><body><p>" + protectedText.uppercased().replacingOccurrences(of: ",", with: " ;") + "</p></body></html>"), 1)
    }

    func testPartlyEditedStillMatches() {
        var edited = protectedText
        for (a, b) in [("forty two", "about forty"), ("fourteenth", "fifteenth"), ("finance", "controlling"), ("Northwind Components", "the target")] {
            edited = edited.replacingOccurrences(of: a, with: b)
        }
        let c = containment(quoted(edited, width: 50))
        XCTAssertGreaterThanOrEqual(c, 0.5, "containment \(c)")
        XCTAssertLessThan(c, 1)
        // Half of the text quoted: about half of the sample.
        let half = String(protectedText.prefix(protectedText.count / 2))
        XCTAssertGreaterThan(containment(half), 0.2)
    }

    func testUnrelatedTextDoesNotMatch() {
        let other = """
        The quarterly maintenance window for the mail servers is planned for Saturday night. Please make
        sure that long running jobs are stopped before ten and that the on call team knows whom to call
        when the storage migration takes longer than expected. The board will be informed afterwards.
        """
        XCTAssertLessThan(containment(other), 0.05)
        XCTAssertLessThan(containment("Thanks, approved."), 0.05)
        // Too short to fingerprint: no sample (Message-ID and attachments still count).
        XCTAssertTrue(Fingerprint.sample(Fingerprint.hashes(of: ["ok thanks"], shingle: 5), k: 64).isEmpty)
    }

    func testHashesAreStable() {
        // The registry is shared by several MTAs: the hash of a shingle never changes.
        XCTAssertEqual(Fingerprint.shingles(Fingerprint.words("The quick brown fox jumps"), size: 5), [Fingerprint.hash(["the", "quick", "brown", "fox", "jumps"])])
        XCTAssertEqual(Fingerprint.words("> Hello,\n>> World! x-ray"), ["hello", "world", "x", "ray"])
        // Pinned (computed independently in Python: FNV-1a 64 over "w " per word, then the mix).
        XCTAssertEqual(Fingerprint.hash(["the", "quick", "brown", "fox", "jumps"]), 0xf982_6bd8_b544_30ba)
        XCTAssertNotEqual(Fingerprint.hash(["ab", "c"]), Fingerprint.hash(["a", "bc"]))
    }
}
