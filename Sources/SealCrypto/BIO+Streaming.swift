#if canImport(Glibc)
import Glibc
#endif
import COpenSSL

/// A memory BIO (`BIO_s_mem`), owned; for small things (certificates, keys, DER).
public final class MemoryBIO {
    public let bio: OpaquePointer

    /// An empty memory BIO to write into.
    public init() throws(CertificateError) {
        guard let b = BIO_new(BIO_s_mem()) else { throw .openssl(.drain("BIO_new")) }
        bio = b
    }

    /// A memory BIO holding a copy of `bytes`, to read from.
    public convenience init(_ bytes: [UInt8]) throws(CertificateError) {
        try self.init()
        if !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            guard n == Int32(bytes.count) else { throw .openssl(.drain("BIO_write")) }
        }
    }

    deinit { BIO_free(bio) }

    /// What was written and not yet read.
    public var contents: [UInt8] {
        var p: UnsafeMutablePointer<CChar>? = nil
        let n = seal_bio_mem_data(bio, &p)
        guard n > 0, let p else { return [] }
        return p.withMemoryRebound(to: UInt8.self, capacity: Int(n)) { Array(UnsafeBufferPointer(start: $0, count: Int(n))) }
    }
}

/// Bytes OpenSSL pulls from (the body to encrypt or to sign opaquely).
public protocol ByteSource: AnyObject {
    /// Fills the front of `buffer`; returns how many bytes, 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Where OpenSSL pushes its output (a spool).
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

/// A source/sink BIO over a Swift ``ByteSource`` or ``ByteSink``: OpenSSL
/// streams a body through it chunk by chunk, so nothing is held whole in memory.
/// An error thrown by the Swift side makes the BIO call fail; it is kept in
/// ``error`` so that the caller reports the real cause, not OpenSSL's.
public final class StreamBIO {
    public let bio: OpaquePointer
    private let source: (any ByteSource)?
    private let sink: (any ByteSink)?
    /// With a sink: LF written by OpenSSL (PEM and base64 lines) goes out as CRLF.
    private let crlf: Bool
    /// The first error of the Swift side.
    public private(set) var error: (any Error)?
    /// Bytes passed through.
    public private(set) var count: Int64 = 0
    private var lastWasCR = false

    /// A BIO that OpenSSL reads from.
    public init(source: any ByteSource) throws(OpenSSLError) {
        self.source = source; self.sink = nil; self.crlf = false
        guard let b = BIO_new(Self.method) else { throw .drain("BIO_new(stream)") }
        bio = b
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(bio, 1)
    }

    /// A BIO that OpenSSL writes into; `crlf` turns bare LF into CRLF.
    public init(sink: any ByteSink, crlf: Bool = false) throws(OpenSSLError) {
        self.source = nil; self.sink = sink; self.crlf = crlf
        guard let b = BIO_new(Self.method) else { throw .drain("BIO_new(stream)") }
        bio = b
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(bio, 1)
    }

    deinit {
        BIO_set_data(bio, nil)
        BIO_free(bio)
    }

    fileprivate func read(_ p: UnsafeMutablePointer<CChar>, _ n: Int) -> Int {
        guard let source, error == nil else { return -1 }
        do {
            let k = try source.read(into: UnsafeMutableRawBufferPointer(start: p, count: n))
            count += Int64(k)
            return k
        } catch {
            self.error = error
            return -1
        }
    }

    fileprivate func write(_ p: UnsafePointer<CChar>, _ n: Int) -> Bool {
        guard let sink, error == nil else { return false }
        do {
            let raw = UnsafeRawBufferPointer(start: p, count: n)
            if !crlf {
                try sink.write(raw)
            } else {
                // One write per call: bare LF becomes CRLF.
                let out = LineEnds.crlf(raw, afterCR: lastWasCR)
                if n > 0 { lastWasCR = raw[n - 1] == 13 }
                if let out { try out.withUnsafeBytes { try sink.write($0) } } else { try sink.write(raw) }
            }
            count += Int64(n)
            return true
        } catch {
            self.error = error
            return false
        }
    }

    /// The BIO method, made once (thread-safe lazy global).
    nonisolated(unsafe) static let method: OpaquePointer? = {
        let type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK
        guard let m = BIO_meth_new(type, "sealmilter stream") else { return nil }
        _ = BIO_meth_set_read_ex(m) { bio, buf, len, readbytes in
            guard let bio, let buf, let d = BIO_get_data(bio) else { return 0 }
            let me = Unmanaged<StreamBIO>.fromOpaque(d).takeUnretainedValue()
            seal_bio_clear_retry_flags(bio)
            let k = me.read(buf, len)
            if k <= 0 { readbytes?.pointee = 0; return 0 }
            readbytes?.pointee = k
            return 1
        }
        _ = BIO_meth_set_write_ex(m) { bio, buf, len, written in
            guard let bio, let buf, let d = BIO_get_data(bio) else { return 0 }
            let me = Unmanaged<StreamBIO>.fromOpaque(d).takeUnretainedValue()
            seal_bio_clear_retry_flags(bio)
            guard me.write(buf, len) else { written?.pointee = 0; return 0 }
            written?.pointee = len
            return 1
        }
        _ = BIO_meth_set_ctrl(m) { _, cmd, _, _ in
            switch cmd {
            case BIO_CTRL_FLUSH: return 1
            case BIO_CTRL_PENDING, BIO_CTRL_WPENDING: return 0
            default: return 0
            }
        }
        _ = BIO_meth_set_create(m) { _ in 1 }
        _ = BIO_meth_set_destroy(m) { _ in 1 }
        return m
    }()
}

/// Line-end conversion on raw bytes, without per-byte array appends.
public enum LineEnds {
    /// `bytes` with every bare LF turned into CRLF, or nil when there is none
    /// (`afterCR`: the byte before `bytes` was a CR).
    public static func crlf(_ bytes: UnsafeRawBufferPointer, afterCR: Bool) -> [UInt8]? {
        let n = bytes.count
        guard n > 0, let base = bytes.baseAddress else { return nil }
        // Find the bare LFs with memchr (vectorised): most input has CRLF already.
        var bare: [Int] = []
        var off = 0
        while off < n, let hit = memchr(base + off, 10, n - off) {
            let i = UnsafeRawPointer(hit) - base
            let prevCR = i > 0 ? base.load(fromByteOffset: i - 1, as: UInt8.self) == 13 : afterCR
            if !prevCR { bare.append(i) }
            off = i + 1
        }
        if bare.isEmpty { return nil }
        var out = [UInt8]()
        out.reserveCapacity(n + bare.count)
        var start = 0
        for i in bare {
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
            out.append(13)
            start = i
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<n]))
        return out
    }
}

/// A sink that writes base64 text (without line ends) as lines of 76 characters
/// ending in CRLF, by block copies into one buffer kept for the sink's life (OpenSSL
/// writes about 1.4 KB at a time: a fresh array and an append per line for each
/// write were 7 % of a 50 KB message's encryption, perf).
public final class Base64LineSink: ByteSink {
    private let sink: any ByteSink
    private var column = 0
    private var buffer: [UInt8] = []
    private static let width = 76
    public init(_ sink: any ByteSink) { self.sink = sink }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        let n = bytes.count
        guard n > 0, let src = bytes.baseAddress else { return }
        // At most one line end per `width` bytes, plus one for the line begun before.
        let most = n + 2 * (n / Self.width + 1)
        if buffer.count < most { buffer = [UInt8](repeating: 0, count: max(most, 4096)) }
        var col = column
        let written = buffer.withUnsafeMutableBytes { dst -> Int in
            let base = dst.baseAddress!
            var off = 0, o = 0
            while off < n {
                let k = min(Self.width - col, n - off)
                (base + o).copyMemory(from: src + off, byteCount: k)
                o += k; off += k; col += k
                if col == Self.width {
                    base.storeBytes(of: 13, toByteOffset: o, as: UInt8.self)
                    base.storeBytes(of: 10, toByteOffset: o + 1, as: UInt8.self)
                    o += 2; col = 0
                }
            }
            return o
        }
        column = col
        try buffer.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[0..<written])) }
    }

    /// Ends the last line.
    public func finish() throws {
        if column > 0 { try [UInt8(13), 10].withUnsafeBytes { try sink.write($0) }; column = 0 }
    }
}
