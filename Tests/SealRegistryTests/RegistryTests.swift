import XCTest
import Foundation
@testable import SealRegistry

/// The same checks against both back ends: SQLite in a temporary file, and a real
/// PostgreSQL server started for the test (Tests/e2e/pg-temp.sh: Debian's
/// postgresql, its own data directory, a free loopback port).
final class RegistryTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testSQLite() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let reg = RightsRegistry(.sqlite(path: dir.appendingPathComponent("rights.db").path))
        try exercise(reg)
        // WAL mode is on for the file.
        let c = try SQLiteConnection(path: dir.appendingPathComponent("rights.db").path)
        XCTAssertEqual(try c.query("PRAGMA journal_mode", []).first?.first?.text, "wal")
    }

    func testPostgreSQL() throws {
        let dir = try tempDir()
        let script = Self.repo.appendingPathComponent("Tests/e2e/pg-temp.sh").path
        let uri = try run(script, ["start", dir.path + "/pg"]).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? run(script, ["stop", dir.path + "/pg"]); try? FileManager.default.removeItem(at: dir) }
        XCTAssertTrue(uri.hasPrefix("postgresql://"), "pg-temp.sh printed \(uri)")
        try exercise(RightsRegistry(.postgresql(uri: uri)))
        // A second registry object (another MTA) sees the first one's records.
        let other = RightsRegistry(.postgresql(uri: uri))
        XCTAssertNotNil(try other.show(messageID: "<a1@example.com>"))
    }

    func testUnreachableServerIsAnErrorWithoutPassword() throws {
        let reg = RightsRegistry(.postgresql(uri: "postgresql://sealmilter:s3cret@127.0.0.1:1/x?connect_timeout=2"))
        XCTAssertThrowsError(try reg.lookup(RightsQuery(messageIDs: ["<x@y>"], textHashes: [], attachments: [], now: 0))) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("cannot connect"), text)
            XCTAssertFalse(text.contains("s3cret"), text)
        }
        let bad = RightsRegistry(.sqlite(path: "/nonexistent-dir/rights.db"))
        XCTAssertThrowsError(try bad.count())
    }

    func testRedaction() {
        XCTAssertEqual(PostgresConnection.redacted("postgresql://u:pw@h:5432/db"), "postgresql://u:***@h:5432/db")
        XCTAssertEqual(PostgresConnection.redacted("host=h password=pw dbname=x"), "host=h password=*** dbname=x")
        XCTAssertEqual(PostgresConnection.numbered("SELECT ?, '?', ?"), "SELECT $1, '?', $2")
    }

    /// The shared checks.
    func exercise(_ reg: RightsRegistry) throws {
        try reg.open()
        let now: Int64 = 1_800_000_000
        let sample: [UInt64] = (1...20).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        let a1 = ProtectedMessage(messageID: "<a1@example.com>", sender: "alice@example.com",
                                  recipients: ["bob@example.com", "carol@partner.org"], template: "do-not-forward",
                                  created: now, expires: nil, queueID: "QA1", textSample: sample, attachments: ["ab" + String(repeating: "0", count: 62)])
        let id1 = try reg.record(a1)
        // Re-recording the same Message-ID replaces it (a retried message).
        XCTAssertEqual(try reg.record(a1), id1)
        var a2 = a1; a2.messageID = "<a2@example.com>"; a2.textSample = [1, 2, 3, 4]; a2.attachments = []
        a2.expires = now - 10
        try reg.record(a2)
        XCTAssertEqual(try reg.count(), 2)

        // By Message-ID; the expired one is not in force.
        var m = try reg.lookup(RightsQuery(messageIDs: ["<zz@x>", "<a1@example.com>", "<a2@example.com>"], textHashes: [], attachments: [], now: now))
        XCTAssertEqual(m.map(\.message.messageID), ["<a1@example.com>"])
        XCTAssertEqual(m.first?.evidence, .messageID)
        XCTAssertEqual(m.first?.message.recipients, ["bob@example.com", "carol@partner.org"])
        XCTAssertEqual(m.first?.message.queueID, "QA1")

        // By text: 12 of 20 sample hashes (60 %) match at 50 %, not at 70 %.
        let outbound = Array(sample.prefix(12)) + [999, 1000, 1001]
        m = try reg.lookup(RightsQuery(messageIDs: [], textHashes: outbound, attachments: [], thresholdPercent: 50, now: now))
        XCTAssertEqual(m.map(\.message.messageID), ["<a1@example.com>"])
        XCTAssertEqual(m.first?.evidence, .text(hits: 12, sample: 20))
        m = try reg.lookup(RightsQuery(messageIDs: [], textHashes: outbound, attachments: [], thresholdPercent: 70, now: now))
        XCTAssertTrue(m.isEmpty)
        // Unrelated text: nothing.
        m = try reg.lookup(RightsQuery(messageIDs: [], textHashes: [7, 8, 9, 10, 11], attachments: [], now: now))
        XCTAssertTrue(m.isEmpty)
        // Hashes with the top bit set (negative as BIGINT) round-trip.
        XCTAssertTrue(sample.contains { $0 > UInt64(Int64.max) })
        m = try reg.lookup(RightsQuery(messageIDs: [], textHashes: sample, attachments: [], now: now))
        XCTAssertEqual(m.first?.evidence, .text(hits: 20, sample: 20))

        // By attachment.
        m = try reg.lookup(RightsQuery(messageIDs: [], textHashes: [], attachments: ["ab" + String(repeating: "0", count: 62)], now: now))
        XCTAssertEqual(m.first?.evidence, .attachment)

        // Management: list, show, expire.
        XCTAssertEqual(try reg.list(now: now).map(\.messageID), ["<a1@example.com>"])
        XCTAssertEqual(try reg.list(includeExpired: true, now: now).count, 2)
        let shown = try XCTUnwrap(try reg.show(messageID: "a1@example.com"))
        XCTAssertEqual(Set(shown.textSample), Set(sample))
        XCTAssertEqual(shown.attachments.count, 1)
        XCTAssertTrue(try reg.expire(messageID: "<a1@example.com>", at: now))
        XCTAssertFalse(try reg.expire(messageID: "<none@x>", at: now))
        m = try reg.lookup(RightsQuery(messageIDs: ["<a1@example.com>"], textHashes: sample, attachments: [], now: now))
        XCTAssertTrue(m.isEmpty, "an expired message is no longer enforced")

        // Many threads at once (the milter's): each records and looks up its own.
        let errors = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: 16) { t in
            do {
                for i in 0..<10 {
                    let id = "<t\(t)-\(i)@example.com>"
                    try reg.record(ProtectedMessage(messageID: id, sender: "s@example.com", recipients: ["r@example.com"],
                                                    template: "do-not-forward", created: now, expires: nil,
                                                    textSample: [UInt64(t * 1000 + i), 5, 6]))
                    let found = try reg.lookup(RightsQuery(messageIDs: [id], textHashes: [], attachments: [], now: now))
                    if found.count != 1 { errors.add("\(id): \(found.count) found") }
                }
            } catch { errors.add("\(error)") }
        }
        XCTAssertEqual(errors.all, [])
        XCTAssertEqual(try reg.count(), 2 + 160)
    }

    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("sealreg-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// Runs `exe` (posix_spawn and waitpid: Foundation's Process was seen to miss
    /// the child's exit here); its standard output through a file.
    func run(_ exe: String, _ args: [String]) throws -> String {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sealreg-out-" + UUID().uuidString).path
        defer { unlink(out) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv = ([exe] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, exe, &actions, nil, argv, environ) == 0 else {
            throw NSError(domain: "pg-temp", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot run \(exe)"])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw NSError(domain: "pg-temp", code: Int(status),
                          userInfo: [NSLocalizedDescriptionKey: "\(exe) \(args) failed (PostgreSQL server needed: Debian package postgresql)"])
        }
        return text
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
