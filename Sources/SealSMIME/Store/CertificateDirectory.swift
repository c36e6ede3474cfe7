#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import SealCrypto

/// The recipient certificate store on disk: one directory per address
/// (lower-cased), one PEM file per certificate named by its SHA-256 fingerprint:
///
///     <directory>/alice@example.org/3f2a…c9.pem
///
/// Several certificates per address are normal (renewals, several devices). A
/// certificate that names several addresses is filed under each.
///
/// Writes are atomic (a private temporary file in the address directory, fsync,
/// then rename), so a reader sees a whole file or none. Readers never lock
/// files: any number of milter threads may read while `sealctl` or the inbound
/// harvester writes. Parsed certificates are cached per address and re-read when
/// the address directory's modification time changes (every add or remove
/// renames or unlinks in it).
public final class CertificateDirectory: RecipientCertificateSource, @unchecked Sendable {
    /// The store's directory.
    public let path: String
    public var sourceName: String { "store \(path)" }

    /// A parsed address directory; trusted only when it was read well after its
    /// last change (a change within the clock's granularity of the read would not
    /// move the modification time: the "racy" case is always re-read).
    private struct Cached { var mtime: timespec; var certificates: [Certificate] }
    private let cache = Mutex<[String: Cached]>([:])

    public init(path: String) { self.path = path }

    /// Errors of the store (paths and system reasons; never certificate content).
    public enum StoreError: Error, Equatable, CustomStringConvertible {
        case badAddress(String)
        case io(path: String, reason: String)
        case namesNoAddress(String)
        public var description: String {
            switch self {
            case .badAddress(let a): "'\(a)' is not an address the store can file under"
            case .io(let p, let r): "\(p): \(r)"
            case .namesNoAddress(let c): "the certificate \(c) names no email address (subjectAltName rfc822Name or subject emailAddress)"
            }
        }
    }

    /// The directory name for `address`: lower-cased; refused when it could leave
    /// the store (`/`, `..`), is empty, or has control characters.
    public static func key(for address: String) throws(StoreError) -> String {
        let a = address.lowercased()
        let bytes = Array(a.utf8)
        guard !bytes.isEmpty, bytes.count <= 255, a != ".", a != "..", !a.hasPrefix("."),
              !bytes.contains(where: { $0 == UInt8(ascii: "/") || $0 < 0x21 || $0 == 0x7f }) else {
            throw .badAddress(address)
        }
        return a
    }

    // MARK: reading

    public func certificates(for address: String) throws -> [Certificate] {
        try read(address)
    }

    /// The certificates filed under `address` (cached until the directory changes).
    public func read(_ address: String) throws(StoreError) -> [Certificate] {
        let key = try Self.key(for: address)
        let dir = path + "/" + key
        var st = stat()
        if stat(dir, &st) != 0 {
            if errno == ENOENT { return [] }
            throw .io(path: dir, reason: String(cString: strerror(errno)))
        }
        let mtime = st.st_mtim
        if let hit = cache.withLock({ $0[key] }), hit.mtime.tv_sec == mtime.tv_sec, hit.mtime.tv_nsec == mtime.tv_nsec {
            return hit.certificates
        }
        var certs: [Certificate] = []
        for name in try Self.entries(dir) where name.hasSuffix(".pem") {
            // A damaged file is skipped, not fatal: the other certificates still serve.
            if let c = try? Certificate.load(file: dir + "/" + name) { certs += c }
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        if now.tv_sec > mtime.tv_sec + 1 { cache.withLock { $0[key] = Cached(mtime: mtime, certificates: certs) } }
        return certs
    }

    /// The capabilities harvested beside `<address>/<fingerprint>.pem` (its
    /// `.caps` file), nil when there is none or it cannot be read. Read once per
    /// selection (the selection cache keeps the result).
    public func capabilities(for address: String, fingerprint: String) -> SMIMECapabilities? {
        guard let key = try? Self.key(for: address), !fingerprint.isEmpty,
              fingerprint.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else { return nil }
        let file = path + "/" + key + "/" + fingerprint + ".caps"
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            bytes += buf[0..<n]
        }
        return SMIMECapabilities(text: String(decoding: bytes, as: UTF8.self))
    }

    /// Every address in the store, sorted.
    public func addresses() throws(StoreError) -> [String] {
        var st = stat()
        if stat(path, &st) != 0 && errno == ENOENT { return [] }
        return try Self.entries(path).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Every (address, certificate) in the store.
    public func all() throws(StoreError) -> [(address: String, certificate: Certificate)] {
        var out: [(String, Certificate)] = []
        for a in try addresses() { for c in try read(a) { out.append((a, c)) } }
        return out
    }

    // MARK: writing

    /// Files `certificate` under every address it names (or under `addresses` when
    /// given), atomically. Returns the files written (existing identical files are
    /// left alone and returned too). Safe while other threads and processes read.
    @discardableResult
    public func add(_ certificate: Certificate, addresses given: [String]? = nil) throws(StoreError) -> [String] {
        let list = given ?? certificate.emailAddresses
        if list.isEmpty { throw .namesNoAddress(certificate.description) }
        var keys: [String] = []
        for a in list { let k = try Self.key(for: a); if !keys.contains(k) { keys.append(k) } }
        try Self.makeDirectory(path)
        let pem = Array(certificate.pem.utf8)
        var written: [String] = []
        for k in keys {
            let dir = path + "/" + k
            try Self.makeDirectory(dir)
            let file = dir + "/" + certificate.fingerprint + ".pem"
            if access(file, F_OK) != 0 { try Self.atomicWrite(pem, to: file, in: dir) }
            written.append(file)
        }
        return written
    }

    /// Removes the certificate(s) whose SHA-256 fingerprint starts with `prefix`
    /// (at least 8 hex digits), under every address; returns the files removed.
    @discardableResult
    public func remove(fingerprintPrefix prefix: String) throws(StoreError) -> [String] {
        let p = prefix.lowercased().filter { $0 != ":" }
        guard p.count >= 8, p.allSatisfy({ $0.isHexDigit }) else { throw .badAddress(prefix) }
        var removed: [String] = []
        for a in try addresses() {
            let dir = path + "/" + a
            for name in try Self.entries(dir) where name.hasPrefix(p) && name.hasSuffix(".pem") {
                let f = dir + "/" + name
                if unlink(f) != 0 { throw .io(path: f, reason: String(cString: strerror(errno))) }
                removed.append(f)
                unlink(String(f.dropLast(4)) + ".caps")  // its harvested capabilities, if any
            }
            if (try? Self.entries(dir))?.isEmpty == true { rmdir(dir) }
        }
        return removed
    }

    // MARK: file system

    static func entries(_ dir: String) throws(StoreError) -> [String] {
        guard let d = opendir(dir) else { throw .io(path: dir, reason: String(cString: strerror(errno))) }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }

    static func makeDirectory(_ dir: String) throws(StoreError) {
        if mkdir(dir, 0o755) != 0 && errno != EEXIST {
            throw .io(path: dir, reason: String(cString: strerror(errno)))
        }
    }

    /// Writes `bytes` to a temporary file in `dir`, syncs it, renames it to `file`.
    static func atomicWrite(_ bytes: [UInt8], to file: String, in dir: String) throws(StoreError) {
        var template = Array((dir + "/.tmp.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw .io(path: dir, reason: String(cString: strerror(errno))) }
        let tmp = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        var ok = fchmod(fd, 0o644) == 0
        var off = 0
        while ok && off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 { if errno == EINTR { continue }; ok = false } else { off += n }
        }
        let reason = ok ? "" : String(cString: strerror(errno))
        if ok && fsync(fd) != 0 { ok = false }
        close(fd)
        guard ok, rename(tmp, file) == 0 else {
            let r = reason.isEmpty ? String(cString: strerror(errno)) : reason
            unlink(tmp)
            throw .io(path: file, reason: r)
        }
    }
}
