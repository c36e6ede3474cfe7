import SealEngine
#if canImport(Glibc)
import Glibc
#endif

/// Where an envelope is written, piece by piece (a spool, a file, memory).
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSink {
    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    public func write(_ s: String) throws { var s = s; try s.withUTF8 { try write(UnsafeRawBufferPointer($0)) } }
}

/// Collects everything in memory (tests, small pages).
public final class ArraySink: ByteSink {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ b: UnsafeRawBufferPointer) throws { bytes.append(contentsOf: b) }
}

/// Writes into a ``BodySpool`` (memory up to its limit, then a private file);
/// a spool that fails (disk full) makes the write throw.
public final class SpoolSink: ByteSink {
    public let spool: BodySpool
    public init(_ spool: BodySpool) { self.spool = spool }
    public func write(_ b: UnsafeRawBufferPointer) throws {
        spool.append(b)
        if let e = spool.error { throw SpoolError(message: e) }
    }
}

/// Writes to a file descriptor (standard output for `sealctl envelope seal`).
public final class FileSink: ByteSink {
    let fd: Int32
    public init(fd: Int32) { self.fd = fd }
    public func write(_ b: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < b.count {
            let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                throw SpoolError(message: "write failed: " + String(cString: strerror(errno)))
            }
            off += n
        }
    }
}

/// Buffers small writes into 64 KiB ones.
final class BufferedSink: ByteSink {
    let inner: any ByteSink
    var buffer: [UInt8] = []
    init(_ inner: any ByteSink) { self.inner = inner; buffer.reserveCapacity(1 << 16) }
    func write(_ b: UnsafeRawBufferPointer) throws {
        if buffer.count + b.count > 1 << 16 { try flush() }
        if b.count >= 1 << 16 { try inner.write(b) } else { buffer.append(contentsOf: b) }
    }
    func flush() throws {
        if !buffer.isEmpty { try buffer.withUnsafeBytes { try inner.write($0) }; buffer.removeAll(keepingCapacity: true) }
    }
}
