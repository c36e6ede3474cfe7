import Glibc

/// A body kept so that it can be read again: the message body as it arrived (so
/// that an action can rewrite it), or a transform's output. In memory up to a
/// limit, then in a private temporary file (mode 0600, unlinked as soon as it is
/// created, so it is removed on every path, crashes included).
public final class BodySpool {
    private let memoryLimit: Int
    private let directory: String
    private var memory: [UInt8] = []
    private var fd: Int32 = -1
    public private(set) var size: Int64 = 0
    /// Why the spool is unusable, if it is.
    public private(set) var error: String?

    public init(memoryLimit: Int, directory: String) {
        self.memoryLimit = memoryLimit
        self.directory = directory
    }

    deinit { if fd >= 0 { close(fd) } }

    public var isOnDisk: Bool { fd >= 0 }

    /// Marks the spool unusable (the rewrite then fails closed) with this reason.
    public func fail(_ reason: String) {
        if error == nil { error = reason }
    }

    public func append(_ chunk: UnsafeRawBufferPointer) {
        guard error == nil, chunk.count > 0 else { return }
        if fd < 0 && memory.count + chunk.count <= memoryLimit {
            memory.append(contentsOf: chunk)
            size += Int64(chunk.count)
            return
        }
        if fd < 0 {
            guard openFile() else { return }
            if !memory.isEmpty {
                let ok = memory.withUnsafeBytes { writeAll($0) }
                memory = []
                if !ok { return }
            }
        }
        if writeAll(chunk) { size += Int64(chunk.count) }
    }

    private func openFile() -> Bool {
        var template = Array((directory + "/sealmilter-spool.XXXXXX").utf8CString)
        let f = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if f < 0 {
            error = "cannot create a spool file in \(directory): \(String(cString: strerror(errno)))"
            return false
        }
        let path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        unlink(path)
        fchmod(f, 0o600)
        fd = f
        return true
    }

    private func writeAll(_ b: UnsafeRawBufferPointer) -> Bool {
        var off = 0
        while off < b.count {
            let n = write(fd, b.baseAddress! + off, b.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                error = "spool write failed: \(String(cString: strerror(errno)))"
                return false
            }
            off += n
        }
        return true
    }

    /// Reads up to `count` bytes at `offset` into `buffer`; returns the bytes read.
    public func read(at offset: Int64, count: Int, into buffer: UnsafeMutableRawPointer) throws -> Int {
        if fd < 0 {
            let start = Int(offset)
            let n = max(0, min(count, memory.count - start))
            if n > 0 { memory.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress! + start, byteCount: n) } }
            return n
        }
        while true {
            let n = pread(fd, buffer, count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw SpoolError(message: "spool read failed: \(String(cString: strerror(errno)))") }
        }
    }

    /// The first bytes, for sniffing line ends.
    public func prefix(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        let k = (try? out.withUnsafeMutableBytes { try read(at: 0, count: n, into: $0.baseAddress!) }) ?? 0
        out.removeLast(n - k)
        return out
    }
}

/// A spool or body stream that cannot be read or written.
public struct SpoolError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// A body produced as a stream: copies of spool ranges and inserted bytes, read in
/// chunks, never materialised whole.
public final class SpoolSegments: BodySource {
    public enum Segment {
        case copy(from: Int64, to: Int64)
        case insert([UInt8])
    }
    private let spool: BodySpool
    private var segments: [Segment]
    private var index = 0
    private var position: Int64 = 0
    private let chunkSize = 64 * 1024

    public init(spool: BodySpool, segments: [Segment]) {
        self.spool = spool
        self.segments = segments
    }

    /// The next chunk, or nil at the end.
    public func next() throws -> [UInt8]? {
        if let e = spool.error { throw SpoolError(message: e) }
        while index < segments.count {
            switch segments[index] {
            case .insert(let bytes):
                index += 1
                if !bytes.isEmpty { return bytes }
            case .copy(let from, let to):
                let start = from + position
                if start >= to { index += 1; position = 0; continue }
                let n = Int(min(Int64(chunkSize), to - start))
                // Read straight into the chunk's storage (no zero fill of 64 KiB per chunk).
                let out = try [UInt8](unsafeUninitializedCapacity: n) { buffer, count in
                    count = try spool.read(at: start, count: n, into: UnsafeMutableRawPointer(buffer.baseAddress!))
                }
                if out.isEmpty { throw SpoolError(message: "spool ended early at \(start)") }
                position += Int64(out.count)
                return out
            }
        }
        return nil
    }
}

extension BodySpool {
    /// The whole spool as a stream.
    public func reader() -> SpoolSegments { SpoolSegments(spool: self, segments: [.copy(from: 0, to: size)]) }
}
