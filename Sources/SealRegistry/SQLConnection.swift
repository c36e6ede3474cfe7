/// A value bound to, or read from, a statement.
public enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case null

    /// The value as an integer (PostgreSQL returns every column as text).
    public var int: Int64? {
        switch self {
        case .int(let v): return v
        case .text(let s): return Int64(s)
        case .null: return nil
        }
    }
    /// The value as text.
    public var text: String? {
        switch self {
        case .int(let v): return String(v)
        case .text(let s): return s
        case .null: return nil
        }
    }
}

/// How the two back ends spell what differs between them; everything else (the
/// schema's tables, the queries, the logic) is shared (``RightsRegistry``).
public enum SQLDialect: Sendable {
    case sqlite, postgresql

    /// `column IN (list)` for a list bound as one parameter holding a JSON array.
    func inList(_ column: String, integers: Bool) -> String {
        switch self {
        case .sqlite: return "\(column) IN (SELECT value FROM json_each(?))"
        case .postgresql:
            return integers ? "\(column) IN (SELECT (jsonb_array_elements_text(?::jsonb))::bigint)"
                            : "\(column) IN (SELECT jsonb_array_elements_text(?::jsonb))"
        }
    }
    /// The auto-numbered primary key column.
    var serialKey: String { self == .sqlite ? "INTEGER PRIMARY KEY" : "BIGSERIAL PRIMARY KEY" }
}

/// One open connection to a back end, used by one thread at a time (the pool
/// hands it out). Statements are prepared once per connection and kept.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs `sql` (placeholders `?`) with `params`; the rows it returns.
    @discardableResult
    func query(_ sql: String, _ params: [SQLValue]) throws(RegistryError) -> [[SQLValue]]
    /// Runs statements without parameters or results (schema, BEGIN, COMMIT).
    func execute(_ sql: String) throws(RegistryError)
}

extension SQLConnection {
    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(RegistryError) -> T) throws(RegistryError) -> T {
        try execute("BEGIN")
        do {
            let v = try body()
            try execute("COMMIT")
            return v
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}
