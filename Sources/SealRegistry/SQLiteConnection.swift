import CSQLite

/// A connection to an SQLite database file: WAL journal (readers never wait for
/// the writer), a busy timeout (writers of other threads and processes wait
/// instead of failing), prepared statements kept per connection.
public final class SQLiteConnection: SQLConnection {
    public var dialect: SQLDialect { .sqlite }
    private var db: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private let path: String

    /// Opens (creating) the database at `path`.
    public init(path: String, busyTimeoutMilliseconds: Int32 = 5000) throws(RegistryError) {
        self.path = path
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, db != nil else {
            let why = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db); db = nil
            throw RegistryError("sqlite \(path): cannot open: \(why)")
        }
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=NORMAL")
    }

    deinit {
        for s in statements.values { sqlite3_finalize(s) }
        sqlite3_close(db)
    }

    private func error(_ what: String) -> RegistryError {
        RegistryError("sqlite \(path): \(what): \(String(cString: sqlite3_errmsg(db)))")
    }

    public func execute(_ sql: String) throws(RegistryError) {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &err) != SQLITE_OK {
            let why = err.map { String(cString: $0) } ?? "error"
            sqlite3_free(err)
            throw RegistryError("sqlite \(path): \(why)")
        }
    }

    private func prepared(_ sql: String) throws(RegistryError) -> OpaquePointer {
        if let s = statements[sql] { return s }
        var s: OpaquePointer?
        guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &s, nil) == SQLITE_OK, let s else {
            throw error("prepare")
        }
        statements[sql] = s
        return s
    }

    @discardableResult
    public func query(_ sql: String, _ params: [SQLValue]) throws(RegistryError) -> [[SQLValue]] {
        let s = try prepared(sql)
        defer { sqlite3_reset(s); sqlite3_clear_bindings(s) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, p) in params.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch p {
            case .int(let v): rc = sqlite3_bind_int64(s, idx, v)
            case .text(let t): rc = sqlite3_bind_text(s, idx, t, -1, transient)
            case .null: rc = sqlite3_bind_null(s, idx)
            }
            if rc != SQLITE_OK { throw error("bind") }
        }
        var rows: [[SQLValue]] = []
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error("step") }
            let n = sqlite3_column_count(s)
            var row: [SQLValue] = []
            row.reserveCapacity(Int(n))
            for c in 0..<n {
                switch sqlite3_column_type(s, c) {
                case SQLITE_INTEGER: row.append(.int(sqlite3_column_int64(s, c)))
                case SQLITE_NULL: row.append(.null)
                default:
                    if let t = sqlite3_column_text(s, c) { row.append(.text(String(cString: t))) } else { row.append(.null) }
                }
            }
            rows.append(row)
        }
        return rows
    }
}
