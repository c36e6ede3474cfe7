import Synchronization

/// Where the registry lives (the policy's `rights.registry`).
public enum RegistryLocation: Sendable, Equatable {
    /// An SQLite database file (one MTA).
    case sqlite(path: String)
    /// A PostgreSQL connection URI (several MTAs share one registry).
    case postgresql(uri: String)

    /// For messages: the path, or the URI without its password.
    public var display: String {
        switch self {
        case .sqlite(let p): return "sqlite:" + p
        case .postgresql(let u): return PostgresConnection.redacted(u)
        }
    }
}

/// The rights registry: every protected message (Message-ID, sender, recipients,
/// template, expiry) with its text and attachment fingerprints, and the lookups
/// Do Not Forward makes for every outbound message.
///
/// One schema and one access layer for both back ends (``SQLDialect`` spells the
/// few differences). Thread-safe: each call takes a pooled connection of its own,
/// so milter threads never share one. Nothing is opened before first use.
public final class RightsRegistry: Sendable {
    public let location: RegistryLocation
    private let pool: ConnectionPool
    private let schemaReady = Mutex(false)

    public init(_ location: RegistryLocation) {
        self.location = location
        self.pool = ConnectionPool { () throws(RegistryError) -> any SQLConnection in
            switch location {
            case .sqlite(let path): return try SQLiteConnection(path: path)
            case .postgresql(let uri): return try PostgresConnection(uri: uri)
            }
        }
    }

    private func with<T>(_ body: (any SQLConnection) throws(RegistryError) -> T) throws(RegistryError) -> T {
        try pool.with { (c) throws(RegistryError) -> T in
            if !schemaReady.withLock({ $0 }) {
                try Self.createSchema(c)
                schemaReady.withLock { $0 = true }
            }
            return try body(c)
        }
    }

    /// The tables and indexes (created when missing; the same on both back ends but
    /// for the key column's type).
    static func createSchema(_ c: any SQLConnection) throws(RegistryError) {
        let big = c.dialect == .sqlite ? "INTEGER" : "BIGINT"
        try c.execute("""
            CREATE TABLE IF NOT EXISTS sealmilter_protected (
              id \(c.dialect.serialKey),
              message_id TEXT NOT NULL UNIQUE,
              sender TEXT NOT NULL,
              recipients TEXT NOT NULL,
              template TEXT NOT NULL,
              created \(big) NOT NULL,
              expires \(big),
              queue_id TEXT NOT NULL,
              samples \(big) NOT NULL);
            CREATE TABLE IF NOT EXISTS sealmilter_text_fp (hash \(big) NOT NULL, msg \(big) NOT NULL);
            CREATE INDEX IF NOT EXISTS sealmilter_text_fp_hash ON sealmilter_text_fp (hash);
            CREATE INDEX IF NOT EXISTS sealmilter_text_fp_msg ON sealmilter_text_fp (msg);
            CREATE TABLE IF NOT EXISTS sealmilter_attachment_fp (sha256 TEXT NOT NULL, msg \(big) NOT NULL);
            CREATE INDEX IF NOT EXISTS sealmilter_attachment_fp_sha ON sealmilter_attachment_fp (sha256);
            CREATE INDEX IF NOT EXISTS sealmilter_attachment_fp_msg ON sealmilter_attachment_fp (msg);
            """)
    }

    /// Opens a connection and creates the schema now (the daemon's start, `sealctl`).
    public func open() throws(RegistryError) { try with { _ in } }

    // MARK: Recording

    /// Records (or, for a Message-ID already there, replaces) a protected message;
    /// returns its number.
    @discardableResult
    public func record(_ m: ProtectedMessage) throws(RegistryError) -> Int64 {
        try with { (c) throws(RegistryError) -> Int64 in
            try c.transaction { () throws(RegistryError) -> Int64 in
                let rows = try c.query("""
                    INSERT INTO sealmilter_protected (message_id, sender, recipients, template, created, expires, queue_id, samples)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (message_id) DO UPDATE SET sender = excluded.sender, recipients = excluded.recipients,
                      template = excluded.template, created = excluded.created, expires = excluded.expires,
                      queue_id = excluded.queue_id, samples = excluded.samples
                    RETURNING id
                    """, [.text(m.messageID), .text(m.sender), .text(m.recipients.joined(separator: "\n")), .text(m.template),
                          .int(m.created), m.expires.map { .int($0) } ?? .null, .text(m.queueID), .int(Int64(m.textSample.count))])
                guard let id = rows.first?.first?.int else { throw RegistryError("\(location.display): no id returned") }
                try c.query("DELETE FROM sealmilter_text_fp WHERE msg = ?", [.int(id)])
                try c.query("DELETE FROM sealmilter_attachment_fp WHERE msg = ?", [.int(id)])
                for h in Set(m.textSample) {
                    try c.query("INSERT INTO sealmilter_text_fp (hash, msg) VALUES (?, ?)", [.int(Int64(bitPattern: h)), .int(id)])
                }
                for a in Set(m.attachments) {
                    try c.query("INSERT INTO sealmilter_attachment_fp (sha256, msg) VALUES (?, ?)", [.text(a), .int(id)])
                }
                return id
            }
        }
    }

    // MARK: Lookup

    private static let columns = "p.id, p.message_id, p.sender, p.recipients, p.template, p.created, p.expires, p.queue_id, p.samples"

    private static func message(_ r: [SQLValue]) -> ProtectedMessage {
        ProtectedMessage(id: r[0].int, messageID: r[1].text ?? "", sender: r[2].text ?? "",
                         recipients: (r[3].text ?? "").split(separator: "\n").map(String.init),
                         template: r[4].text ?? "", created: r[5].int ?? 0, expires: r[6].int, queueID: r[7].text ?? "")
    }

    /// The protected messages in force that `q` refers to or carries (each once,
    /// with the strongest evidence: Message-ID, then attachment, then text).
    public func lookup(_ q: RightsQuery) throws(RegistryError) -> [RightsMatch] {
        try with { (c) throws(RegistryError) -> [RightsMatch] in
            var out: [Int64: RightsMatch] = [:]
            if !q.messageIDs.isEmpty {
                let rows = try c.query("SELECT \(Self.columns) FROM sealmilter_protected p WHERE "
                                       + c.dialect.inList("p.message_id", integers: false)
                                       + " AND (p.expires IS NULL OR p.expires > ?)",
                                       [.text(Self.json(q.messageIDs)), .int(q.now)])
                for r in rows { let m = Self.message(r); out[m.id!] = RightsMatch(message: m, evidence: .messageID) }
            }
            if !q.attachments.isEmpty {
                let rows = try c.query("SELECT \(Self.columns) FROM sealmilter_protected p WHERE p.id IN (SELECT a.msg FROM sealmilter_attachment_fp a WHERE "
                                       + c.dialect.inList("a.sha256", integers: false)
                                       + ") AND (p.expires IS NULL OR p.expires > ?)",
                                       [.text(Self.json(q.attachments)), .int(q.now)])
                for r in rows { let m = Self.message(r); if out[m.id!] == nil { out[m.id!] = RightsMatch(message: m, evidence: .attachment) } }
            }
            if !q.textHashes.isEmpty {
                let hashes = Array(Set(q.textHashes)).map { String(Int64(bitPattern: $0)) }
                let rows = try c.query("""
                    SELECT \(Self.columns), h.n FROM (SELECT t.msg, COUNT(*) AS n FROM sealmilter_text_fp t
                      WHERE \(c.dialect.inList("t.hash", integers: true)) GROUP BY t.msg HAVING COUNT(*) >= ?) h
                    JOIN sealmilter_protected p ON p.id = h.msg
                    WHERE (p.expires IS NULL OR p.expires > ?) AND h.n * 100 >= p.samples * ?
                    """, [.text("[" + hashes.joined(separator: ",") + "]"), .int(Int64(q.minimumHits)), .int(q.now),
                          .int(Int64(q.thresholdPercent))])
                for r in rows {
                    let m = Self.message(r)
                    if out[m.id!] == nil {
                        out[m.id!] = RightsMatch(message: m, evidence: .text(hits: Int(r[9].int ?? 0), sample: Int(r[8].int ?? 0)))
                    }
                }
            }
            return out.keys.sorted().map { out[$0]! }
        }
    }

    /// A JSON array of strings.
    static func json(_ items: [String]) -> String {
        var s = "["
        for (i, item) in items.enumerated() {
            if i > 0 { s += "," }
            s += "\""
            for u in item.unicodeScalars {
                switch u {
                case "\"": s += "\\\""
                case "\\": s += "\\\\"
                default:
                    if u.value < 0x20 { s += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16) }
                    else { s.unicodeScalars.append(u) }
                }
            }
            s += "\""
        }
        return s + "]"
    }

    // MARK: Management (sealctl rights)

    /// The most recently recorded messages, newest first.
    public func list(limit: Int = 100, includeExpired: Bool = false, now: Int64) throws(RegistryError) -> [ProtectedMessage] {
        try with { (c) throws(RegistryError) -> [ProtectedMessage] in
            try c.query("SELECT \(Self.columns) FROM sealmilter_protected p WHERE (? = 1 OR p.expires IS NULL OR p.expires > ?) ORDER BY p.id DESC LIMIT ?",
                        [.int(includeExpired ? 1 : 0), .int(now), .int(Int64(limit))]).map(Self.message)
        }
    }

    /// One message by Message-ID (with or without angle brackets), with its fingerprints.
    public func show(messageID: String) throws(RegistryError) -> ProtectedMessage? {
        try with { (c) throws(RegistryError) -> ProtectedMessage? in
            guard let r = try c.query("SELECT \(Self.columns) FROM sealmilter_protected p WHERE p.message_id = ? OR p.message_id = ?",
                                      [.text(messageID), .text("<" + messageID + ">")]).first else { return nil }
            var m = Self.message(r)
            m.textSample = try c.query("SELECT hash FROM sealmilter_text_fp WHERE msg = ? ORDER BY hash", [.int(m.id!)])
                .compactMap { $0[0].int.map { UInt64(bitPattern: $0) } }
            m.attachments = try c.query("SELECT sha256 FROM sealmilter_attachment_fp WHERE msg = ? ORDER BY sha256", [.int(m.id!)])
                .compactMap { $0[0].text }
            return m
        }
    }

    /// Ends a message's protection at `at` (now, usually); false when it is not there.
    @discardableResult
    public func expire(messageID: String, at: Int64) throws(RegistryError) -> Bool {
        try with { (c) throws(RegistryError) -> Bool in
            !(try c.query("UPDATE sealmilter_protected SET expires = ? WHERE message_id = ? OR message_id = ? RETURNING id",
                          [.int(at), .text(messageID), .text("<" + messageID + ">")]).isEmpty)
        }
    }

    /// How many messages are recorded.
    public func count() throws(RegistryError) -> Int {
        try with { (c) throws(RegistryError) -> Int in
            Int(try c.query("SELECT COUNT(*) FROM sealmilter_protected", []).first?.first?.int ?? 0)
        }
    }

    /// Runs `body` with one pooled connection (bulk loading for the benchmark).
    public func withConnection<T>(_ body: (any SQLConnection) throws(RegistryError) -> T) throws(RegistryError) -> T {
        try with(body)
    }
}
