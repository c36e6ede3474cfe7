import Testing
import Foundation
@testable import SealMIME

/// The parser against GMime 3 and Python's `email` on generated ambiguities
/// (Tests/differential: gen_ambiguous.py makes the messages, differential.py --emit
/// writes them with the references' leaves). Where the references agree the parser
/// must give the same leaves; where they disagree it must mark the message
/// (``MIMEParser/ambiguities``). `Tests/differential/run.sh` checks the same end to
/// end through `sealctl scan` (the `ambiguous-structure` kind).
@Suite struct DifferentialTests {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs differential.py --emit into a fresh directory; returns it and the references.
    func emit(random: Int) throws -> (URL, [String: [String: [String]]]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sealmime-diff-\(UUID().uuidString)")
        let script = Self.repo.appendingPathComponent("Tests/differential/differential.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, "--emit", dir.path, "--random", String(random)]
        p.currentDirectoryURL = Self.repo
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sealmime-diff-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let h = try FileHandle(forWritingTo: log)
        defer { try? h.close(); try? FileManager.default.removeItem(at: log) }
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        guard p.terminationReason == .exit, p.terminationStatus == 0 else {
            let out = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw Failure(description: "python3 \(script) --emit failed (\(p.terminationStatus)): \(out)")
        }
        let data = try Data(contentsOf: dir.appendingPathComponent("references.json"))
        let refs = try JSONDecoder().decode([String: [String: [String]]].self, from: data)
        return (dir, refs)
    }

    @Test func generatedAmbiguitiesAgainstGMimeAndPython() throws {
        let (dir, refs) = try emit(random: 80)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(refs.count >= 100, "generated messages")
        var disagreements = 0
        for (name, r) in refs.sorted(by: { $0.key < $1.key }) {
            let msg = [UInt8](try Data(contentsOf: dir.appendingPathComponent(name + ".eml")))
            let crlf = msg.indices.dropLast().contains { msg[$0] == 13 && msg[$0 + 1] == 10 }
            let (s, p, rec) = parse(msg)
            checkInvariants(s, rec)
            let ours = s.leaves.map { leaf -> String in
                leaf.mediaType.hasPrefix("text/") && crlf ? leaf.mediaType + ":*" : "\(leaf.mediaType):\(leaf.decodedSize)"
            }
            let views = Array(r.values)
            if views.allSatisfy({ $0 == views[0] }) {
                #expect(ours == views[0], "\(name): the references agree on \(views[0]); ours \(ours)")
            } else {
                disagreements += 1
                #expect(!p.ambiguities.isEmpty, "\(name): the references disagree (\(r)) but the parse is not marked ambiguous")
            }
        }
        // The generator must keep producing both kinds of case.
        #expect(disagreements >= 30 && disagreements < refs.count - 20, "\(disagreements) of \(refs.count) disagree")
    }
}
