import Foundation
import Testing
import SealEngine
import SealTestSupport
import SealPolicy

/// The whole engine on the shared corpus of real messages, with a policy that
/// removes every named attachment, adds headers and reads text: the result does not
/// depend on how the message is chunked, and a rewritten message, run again, has
/// nothing left to remove.
@Suite struct CorpusEngineTests {
    static let corpus: URL = ProcessInfo.processInfo.environment["SEALMILTER_CORPUS"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus")

    static let files: [String] = ["cpython", "mimekit"].flatMap { sub in
        ((try? FileManager.default.contentsOfDirectory(atPath: corpus.appendingPathComponent(sub).path)) ?? [])
            .sorted().map { sub + "/" + $0 }
    }

    static let policy = """
        internal_domains: [example.com]
        flag_unscannable: true
        rules:
          - name: strip-named-attachments
            when: {attachment: {name: ["*"]}}
            actions:
              - remove_attachments: true
              - add_header: {name: X-Stripped, value: "yes"}
          - name: keyword
            when: {body: {contains: [the]}}
            actions: [{add_header: {name: X-Keyword, value: hit}}]
          - name: subject
            when: {subject: {matches: ["(?i)test"]}}
            actions: [{add_header: {name: X-Subject, value: test}}]
        """

    struct Outcome: Equatable {
        var decision: Decision
        var edits: [HeaderEdit]
        var body: [UInt8]?
        var log: String
    }

    static func outcome(_ message: [UInt8], chunk: Int, engine: Engine) throws -> Outcome {
        let s = Session(engine: engine)
        var d = s.mailFrom("<a@partner.example>")
        _ = s.rcpt("<b@example.com>")
        var i = 0
        while d == .continue && i < message.count {
            let n = min(chunk, message.count - i)
            d = message[i..<(i + n)].withUnsafeBytes { s.raw($0) }
            i += n
        }
        return try finish(s, d)
    }

    /// End of message (unless decided before), and the result read back.
    static func finish(_ s: Session, _ decision: Decision) throws -> Outcome {
        let d = decision == .continue ? s.endOfMessage() : decision
        var body: [UInt8]? = nil
        if s.bodyReplaced {
            var out: [UInt8] = []
            while let c = try s.readReplacementBody() { out += c }
            body = out
        }
        return Outcome(decision: d, edits: s.headerEdits, body: body, log: s.logLine)
    }

    /// The header section of a raw message, up to and including the blank line.
    static func headerSection(_ m: [UInt8]) -> [UInt8]? {
        for i in m.indices where m[i] == 10 {
            if i + 1 < m.count && m[i + 1] == 10 { return Array(m[...(i + 1)]) }
            if i + 2 < m.count && m[i + 1] == 13 && m[i + 2] == 10 { return Array(m[...(i + 2)]) }
        }
        return nil
    }

    @Test func corpusIsPresent() { #expect(Self.files.count > 20, "corpus directory \(Self.corpus.path) is missing or nearly empty") }

    /// The policy does rewrite bodies of this corpus, so the re-run check below is exercised.
    @Test func someBodiesAreRewritten() throws {
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy, file: "corpus.yaml"))
        var rewritten = 0
        for file in Self.files {
            let message = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent(file)))
            if try Self.outcome(message, chunk: 4096, engine: engine).body != nil { rewritten += 1 }
        }
        #expect(rewritten >= 10, "only \(rewritten) bodies rewritten")
    }

    /// Most of the corpus goes through the milter-path comparison below.
    @Test func mostHeaderSectionsSplitIntoFields() throws {
        let clean = try Self.files.filter { file in
            let message = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent(file)))
            return Self.headerSection(message).flatMap(Self.fields) != nil
        }
        #expect(clean.count >= 60, "only \(clean.count) of \(Self.files.count)")
    }

    @Test(arguments: files)
    func chunkingDoesNotChangeTheResult(file: String) throws {
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy, file: "corpus.yaml"))
        let message = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent(file)))
        let whole = try Self.outcome(message, chunk: message.count, engine: engine)
        #expect(whole.decision == .accept, "\(file): \(whole.log)")
        for chunk in [1, 7, 4096] where chunk < message.count {
            let split = try Self.outcome(message, chunk: chunk, engine: engine)
            #expect(split == whole, "\(file) in chunks of \(chunk): \(split.log) vs \(whole.log)")
        }

        // A rewritten body under the original header section: nothing left to remove.
        guard let body = whole.body, let head = Self.headerSection(message),
              !whole.edits.contains(where: { $0.name.lowercased() == "content-type" }) else { return }
        #expect(whole.log.contains("removed="), "\(file): body replaced, yet nothing removed: \(whole.log)")
        let again = try Self.outcome(head + body, chunk: 4096, engine: engine)
        #expect(again.body == nil, "\(file): the rewritten message still had attachments to remove: \(again.log)")
        #expect(!again.log.contains("strip-named-attachments"), "\(file): \(again.log)")
    }

    /// The milter way (header fields one by one, then the body) gives what the raw
    /// way gives, for every message whose header section splits cleanly into fields.
    @Test(arguments: files)
    func milterPathAgreesWithRawPath(file: String) throws {
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy, file: "corpus.yaml"))
        let message = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent(file)))
        guard let head = Self.headerSection(message), let fields = Self.fields(head) else { return }
        let raw = try Self.outcome(message, chunk: 4096, engine: engine)

        let milter = try Self.milterOutcome(fields: fields, body: Array(message[head.count...]), chunk: 4096, engine: engine)
        #expect(milter == raw, "\(file): milter \(milter.log) vs raw \(raw.log)")
    }

    /// A message the milter way: header fields one by one, end of headers, the body
    /// in chunks while the engine wants it, end of message.
    static func milterOutcome(fields: [(String, String)], body: [UInt8], chunk: Int, engine: Engine) throws -> Outcome {
        let s = Session(engine: engine)
        var d = s.mailFrom("<a@partner.example>")
        _ = s.rcpt("<b@example.com>")
        for (name, value) in fields where d == .continue { d = s.header(name: name, value: value) }
        if d == .continue { d = s.endOfHeaders() }
        var i = 0
        while d == .continue && s.needsBody && i < body.count {
            let n = min(chunk, body.count - i)
            d = body[i..<(i + n)].withUnsafeBytes { s.body($0) }
            i += n
        }
        return try finish(s, d)
    }

    /// Header fields as an MTA hands them over (the name; the value after ": ", with
    /// folded lines joined by LF as Postfix passes them), or nil when a line of the
    /// section is no field: a name must be printable ASCII without ':' (RFC 5322
    /// ftext), which is also where Postfix ends the header section.
    static func fields(_ head: [UInt8]) -> [(String, String)]? {
        if head.starts(with: Array("From ".utf8)) { return nil }   // mbox separator: raw mode only
        var out: [(String, String)] = []
        for var line in head.split(separator: 10, omittingEmptySubsequences: true) {
            if line.last == 13 { line = line.dropLast() }
            if line.isEmpty { continue }
            if line.first == 32 || line.first == 9 {
                guard !out.isEmpty else { return nil }
                out[out.count - 1].1 += "\n" + String(decoding: line, as: UTF8.self)
                continue
            }
            guard let colon = line.firstIndex(of: 58), colon > line.startIndex,
                  line[..<colon].allSatisfy({ (33...126).contains($0) }) else { return nil }
            var value = line[(colon + 1)...]
            if value.first == 32 { value = value.dropFirst() }
            out.append((String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return out
    }

    /// Seeded mutants of the corpus (bytes replaced, lines dropped or repeated, text
    /// cut short, boundaries and header names damaged): the engine never crashes and
    /// its result does not depend on the chunking.
    @Test func mutantsGiveTheSameResultInEveryChunking() throws {
        let engine = Engine(policy: try Policy.parse(yaml: Self.policy, file: "corpus.yaml"))
        let messages = try Self.files.map { [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent($0))) }
        guard !messages.isEmpty else { Issue.record("no messages in corpus directory \(Self.corpus.path)"); return }
        var rng = SplitMix(seed: 0x5EA1_2026_1128)
        func next() -> Int { Int(truncatingIfNeeded: rng.next() >> 1) }
        let tokens: [[UInt8]] = ["--", "\r\n", "\n", ":", " ", "\t", "=", "=\r\n", "Content-Type: multipart/mixed; boundary=b\n",
                                 "--b\n", "--b--\n", "Content-Transfer-Encoding: base64\n", "filename=\"x.zip\"", "\u{0}", "\u{FF}"]
            .map { Array($0.utf8) }
        for n in 0..<2000 {
            var m = messages[n % messages.count]
            for _ in 0...(next() % 4) where !m.isEmpty {
                let at = next() % m.count
                switch next() % 5 {
                case 0: m[at] = UInt8(truncatingIfNeeded: next())
                case 1: m.insert(contentsOf: tokens[next() % tokens.count], at: at)
                case 2: m.removeSubrange(at..<min(m.count, at + 1 + next() % 200))
                case 3: m = Array(m[..<at])
                default:
                    let end = min(m.count, at + 1 + next() % 300)
                    m.insert(contentsOf: m[at..<end], at: at)
                }
            }
            let whole = try Self.outcome(m, chunk: max(m.count, 1), engine: engine)
            for chunk in [1, 7, 4096] where chunk < m.count {
                let split = try Self.outcome(m, chunk: chunk, engine: engine)
                #expect(split == whole, "mutant \(n) of \(Self.files[n % Self.files.count]) in chunks of \(chunk): \(split.log) vs \(whole.log)")
            }
            if let head = Self.headerSection(m), let fields = Self.fields(head) {
                let milter = try Self.milterOutcome(fields: fields, body: Array(m[head.count...]), chunk: 7, engine: engine)
                #expect(milter == whole, "mutant \(n) of \(Self.files[n % Self.files.count]), milter path: \(milter.log) vs \(whole.log)")
            }
        }
    }
}
