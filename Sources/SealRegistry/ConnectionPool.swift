import Synchronization

/// Connections for many milter threads: a thread takes an idle connection (or
/// opens one), uses it alone, and gives it back; one that failed is closed, not
/// kept. At most `maxIdle` stay open between uses.
final class ConnectionPool: Sendable {
    private let open: @Sendable () throws(RegistryError) -> any SQLConnection
    private let idle = Mutex<[UnsafeConnection]>([])
    private let maxIdle: Int

    init(maxIdle: Int = 16, open: @escaping @Sendable () throws(RegistryError) -> any SQLConnection) {
        self.open = open; self.maxIdle = maxIdle
    }

    /// Runs `body` with a connection of its own.
    func with<T>(_ body: (any SQLConnection) throws(RegistryError) -> T) throws(RegistryError) -> T {
        let parked = idle.withLock { $0.popLast() }
        let c: any SQLConnection
        if let parked { c = parked.connection } else { c = try open() }
        let v = try body(c)
        // Only a connection that worked goes back (a failed one is closed).
        idle.withLock { if $0.count < maxIdle { $0.append(UnsafeConnection(connection: c)) } }
        return v
    }
}

/// A connection parked in the pool (used by one thread at a time, by construction).
private struct UnsafeConnection: @unchecked Sendable { let connection: any SQLConnection }
