import Testing
import Foundation
@testable import SealMIME

func corpusFiles(_ sub: String) -> [String] {
    let dir = corpusDirectory().appendingPathComponent(sub)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.sorted().map { sub + "/" + $0 }
}

@Suite struct CorpusTests {
    /// A missing corpus fails here, naming the directory (the tests below then have no arguments).
    @Test func corpusIsPresent() {
        for sub in ["cpython", "mimekit"] {
            let dir = corpusDirectory().appendingPathComponent(sub).path
            #expect(corpusFiles(sub).count > 10, "corpus directory \(dir) is missing or nearly empty")
        }
    }

    @Test(arguments: corpusFiles("cpython") + corpusFiles("mimekit"))
    func splitInvariance(file: String) throws {
        let data = try Data(contentsOf: corpusDirectory().appendingPathComponent(file))
        let msg = [UInt8](data)
        var seed: UInt64 = 7
        for b in file.utf8 { seed = seed &* 31 &+ UInt64(b) }
        let s = checkSplitInvariance(msg, everySplit: msg.count < 1500, random: 25, seed: seed, label: file)
        #expect(s.parts.count >= 1)
        // With low limits the parse degrades the same way in every chunking.
        var tight = ParserLimits()
        tight.maxDepth = 2; tight.maxParts = 4; tight.maxHeaderBytes = 100; tight.maxHeaders = 8; tight.maxInspectBytes = 64
        checkSplitInvariance(msg, everySplit: false, random: 10, seed: seed, limits: tight, label: file)
    }
}
