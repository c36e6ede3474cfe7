import Testing
@testable import SealPolicy
@testable import SealEngine
import SealTestSupport

/// Bad policy files get a clear error, never a crash: thousands of mutants of valid
/// policies (lines deleted, duplicated, re-indented, characters replaced, text cut
/// short), from a fixed seed so that a failure can be replayed.
@Suite struct PolicyMutations {
    typealias Random = SplitMix

    static let bases = [
        fullPolicy,
        """
        internal_domains: [example.com]
        milter: {socket: "unix:/run/s.sock", macros: all}
        keys:
          gateway: /etc/sealmilter/keys/gw.key
        limits: {max_depth: 8, max_parts: 100}
        rules:
          - name: r1
            when: {recipient: [noreply@example.com]}
            actions: [{reject_recipient: "No"}]
          - name: r2
            when:
              attachment: {extension: [exe]}
              size: {over: 1M}
            unless: {sender: [boss@example.com]}
            actions:
              - remove_attachments: {unscannable: any}
              - add_header: {name: X-Removed, value: "yes"}
            stop: true
        """,
    ]

    static let characters: [Character] = [":", "-", "[", "]", "{", "}", "\"", "'", "#", "\t", " ", "\n", "*", "&", "!", "|", ">", "%", "@", ",", "?", "\u{0}", "\u{7f}", "é", "0", "x"]

    static func mutate(_ text: String, _ r: inout Random) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0...r.below(3) {
            let i = r.below(lines.count)
            switch r.below(6) {
            case 0: lines.remove(at: i); if lines.isEmpty { lines = [""] }
            case 1: lines.insert(lines[i], at: i)
            case 2: lines[i] = String(repeating: " ", count: r.below(7)) + lines[i].drop(while: { $0 == " " })
            case 3:
                var chars = Array(lines[i])
                if chars.isEmpty { chars = [" "] }
                chars[r.below(chars.count)] = characters[r.below(characters.count)]
                lines[i] = String(chars)
            case 4: lines[i] = String(lines[i].prefix(r.below(lines[i].count + 1)))
            default: lines.swapAt(i, r.below(lines.count))
            }
        }
        return lines.joined(separator: "\n")
    }

    @Test func mutantsAreRefusedOrAcceptedCleanly() {
        var r = Random(state: 20261128)
        var refused = 0, accepted = 0
        for n in 0..<3000 {
            let text = Self.mutate(Self.bases[n % Self.bases.count], &r)
            let errors = Policy.diagnose(yaml: text, file: "m.yaml")
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
            for e in errors {
                #expect(e.file == "m.yaml")
                #expect(!e.message.isEmpty)
                if let line = e.line { #expect((1...lineCount + 1).contains(line), "mutant \(n): \(e)") }
            }
            do {
                _ = try Policy.parse(yaml: text, file: "m.yaml")
                #expect(errors.isEmpty, "mutant \(n) parsed, yet diagnose found \(errors)")
                accepted += 1
            } catch {
                #expect(errors.first?.description == error.description, "mutant \(n)")
                refused += 1
            }
        }
        print("policy mutants: refused \(refused), accepted \(accepted)")
        // Both outcomes must occur, or the mutations test nothing.
        #expect(refused > 100 && accepted > 100, "refused \(refused), accepted \(accepted)")
    }
}
