import CPostgres
#if canImport(Glibc)
import Glibc
#endif

/// A connection to a PostgreSQL server through libpq (synchronous, as the milter's
/// threads are): statements are prepared once per connection (`PQprepare`) with
/// `$n` placeholders, parameters are passed as text.
public final class PostgresConnection: SQLConnection {
    public var dialect: SQLDialect { .postgresql }
    private var conn: OpaquePointer?
    private var statements: [String: String] = [:]
    /// The URI without its password, for messages.
    let display: String

    public init(uri: String) throws(RegistryError) {
        display = PostgresConnection.redacted(uri)
        conn = PQconnectdb(uri)
        guard let conn, PQstatus(conn) == CONNECTION_OK else {
            let why = conn.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(conn); self.conn = nil
            throw RegistryError("postgresql \(display): cannot connect: \(why.trimmed)")
        }
        // Quiet NOTICEs ("relation already exists") stay out of the milter's stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
    }

    deinit { PQfinish(conn) }

    /// `postgresql://user:secret@host/db` → `postgresql://user:***@host/db`; a
    /// `password=` keyword is hidden the same way.
    static func redacted(_ uri: String) -> String {
        var s = uri
        if let scheme = s.firstRange(of: "://"), let at = s[scheme.upperBound...].firstIndex(of: "@") {
            let userinfo = s[scheme.upperBound..<at]
            if let colon = userinfo.firstIndex(of: ":") { s.replaceSubrange(s.index(after: colon)..<at, with: "***") }
        }
        if let r = s.firstRange(of: "password=") {
            let end = s[r.upperBound...].firstIndex(where: { $0 == " " || $0 == "&" }) ?? s.endIndex
            s.replaceSubrange(r.upperBound..<end, with: "***")
        }
        return s
    }

    private func failure(_ what: String) -> RegistryError {
        RegistryError("postgresql \(display): \(what): \(String(cString: PQerrorMessage(conn)).trimmed)")
    }

    /// The connection broke (server restarted): one reset, so that the pool's
    /// connection recovers instead of failing every later message.
    private func resetIfBroken() {
        if PQstatus(conn) != CONNECTION_OK { PQreset(conn); statements = [:] }
    }

    public func execute(_ sql: String) throws(RegistryError) {
        resetIfBroken()
        guard let r = PQexec(conn, sql) else { throw failure("exec") }
        defer { PQclear(r) }
        let st = PQresultStatus(r)
        guard st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK else { throw failure("exec") }
    }

    /// `?` placeholders → `$1`, `$2`, … (outside quoted text).
    static func numbered(_ sql: String) -> String {
        var out = "", n = 0, quoted = false
        for ch in sql {
            if ch == "'" { quoted.toggle() }
            if ch == "?" && !quoted { n += 1; out += "$\(n)" } else { out.append(ch) }
        }
        return out
    }

    @discardableResult
    public func query(_ sql: String, _ params: [SQLValue]) throws(RegistryError) -> [[SQLValue]] {
        resetIfBroken()
        let name: String
        if let n = statements[sql] { name = n } else {
            name = "s\(statements.count)"
            guard let r = PQprepare(conn, name, Self.numbered(sql), Int32(params.count), nil) else { throw failure("prepare") }
            defer { PQclear(r) }
            guard PQresultStatus(r) == PGRES_COMMAND_OK else { throw failure("prepare") }
            statements[sql] = name
        }
        let texts: [String?] = params.map { $0.text }
        var cStrings: [UnsafeMutablePointer<CChar>?] = texts.map { $0.flatMap { strdup($0) } }
        defer { for p in cStrings { free(p) } }
        let result: OpaquePointer? = cStrings.withUnsafeMutableBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: max(buf.count, 1)) { values in
                PQexecPrepared(conn, name, Int32(params.count), params.isEmpty ? nil : values, nil, nil, 0)
            }
        }
        guard let r = result else { throw failure("execute") }
        defer { PQclear(r) }
        let st = PQresultStatus(r)
        guard st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK else { throw failure("execute") }
        var rows: [[SQLValue]] = []
        let n = PQntuples(r), m = PQnfields(r)
        rows.reserveCapacity(Int(n))
        for i in 0..<n {
            var row: [SQLValue] = []
            for j in 0..<m {
                if PQgetisnull(r, i, j) == 1 { row.append(.null) } else { row.append(.text(String(cString: PQgetvalue(r, i, j)))) }
            }
            rows.append(row)
        }
        return rows
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let l = s.last, l == "\n" || l == " " || l == "\r" { s.removeLast() }
        return String(s)
    }
}
