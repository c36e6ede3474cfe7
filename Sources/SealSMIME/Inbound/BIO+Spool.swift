import COpenSSL
import SealEngine

/// OpenSSL BIOs over the engine's body streams: a source BIO that reads a
/// ``BodySource`` front to back, and a sink BIO that appends to a ``BodySpool``
/// (memory up to its limit, then a private unlinked file). They let OpenSSL's CMS
/// code read a spooled body and write a plaintext without a copy of the message
/// in a Swift array.
enum SpoolBIO {
    /// The state behind one BIO (owned by the BIO: released in `destroy`).
    final class Box {
        let source: (any BodySource)?
        let sink: BodySpool?
        var chunk: [UInt8] = []
        var position = 0
        var atEnd = false
        /// Why reading failed (the body stream threw); OpenSSL then sees an error.
        var error: String?
        init(source: (any BodySource)?, sink: BodySpool?) { self.source = source; self.sink = sink }
    }

    private static func box(_ bio: OpaquePointer?) -> Box? {
        guard let p = BIO_get_data(bio) else { return nil }
        return Unmanaged<Box>.fromOpaque(p).takeUnretainedValue()
    }

    /// One method for both directions: read_ex pulls from the source, write_ex
    /// appends to the sink.
    nonisolated(unsafe) private static let method: OpaquePointer = {
        let m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sealmilter-spool")!
        BIO_meth_set_read_ex(m) { bio, buf, len, readbytes in
            guard let b = SpoolBIO.box(bio), let buf, let readbytes else { return 0 }
            while b.position >= b.chunk.count {
                if b.atEnd || b.error != nil { readbytes.pointee = 0; return 0 }
                do {
                    if let c = try b.source?.next() { b.chunk = c; b.position = 0 } else { b.atEnd = true }
                } catch {
                    b.error = "\(error)"
                }
            }
            let n = min(len, b.chunk.count - b.position)
            b.chunk.withUnsafeBytes { UnsafeMutableRawPointer(buf).copyMemory(from: $0.baseAddress! + b.position, byteCount: n) }
            b.position += n
            readbytes.pointee = n
            return 1
        }
        BIO_meth_set_write_ex(m) { bio, buf, len, written in
            guard let b = SpoolBIO.box(bio), let sink = b.sink, let buf else { return 0 }
            sink.append(UnsafeRawBufferPointer(start: buf, count: len))
            if sink.error != nil { return 0 }
            written?.pointee = len
            return 1
        }
        BIO_meth_set_ctrl(m) { bio, cmd, _, _ in
            switch cmd {
            case BIO_CTRL_FLUSH: return 1
            case BIO_CTRL_EOF: return (SpoolBIO.box(bio)?.atEnd ?? true) ? 1 : 0
            default: return 0
            }
        }
        BIO_meth_set_create(m) { bio in BIO_set_init(bio, 1); return 1 }
        BIO_meth_set_destroy(m) { bio in
            if let p = BIO_get_data(bio) { Unmanaged<Box>.fromOpaque(p).release() }
            BIO_set_data(bio, nil)
            return 1
        }
        return m
    }()

    /// A BIO that reads `source` (with a buffer on top, so that OpenSSL's MIME
    /// reader can read lines). Free it with `BIO_free_all`.
    static func reader(_ source: any BodySource) -> (bio: OpaquePointer, box: Box)? {
        let b = Box(source: source, sink: nil)
        guard let raw = BIO_new(method) else { return nil }
        BIO_set_data(raw, Unmanaged.passRetained(b).toOpaque())
        guard let buffered = BIO_new(BIO_f_buffer()) else { BIO_free(raw); return nil }
        return (BIO_push(buffered, raw), b)
    }

    /// A BIO that appends what OpenSSL writes to `spool`. Free it with `BIO_free`.
    static func writer(_ spool: BodySpool) -> OpaquePointer? {
        guard let raw = BIO_new(method) else { return nil }
        BIO_set_data(raw, Unmanaged.passRetained(Box(source: nil, sink: spool)).toOpaque())
        return raw
    }
}

/// A body stream made of a few bytes, then another stream (an outer header line in
/// front of a spooled body).
final class PrefixedSource: BodySource {
    private var prefix: [UInt8]?
    private let rest: any BodySource
    init(_ prefix: [UInt8], _ rest: any BodySource) { self.prefix = prefix; self.rest = rest }
    func next() throws -> [UInt8]? {
        if let p = prefix { prefix = nil; if !p.isEmpty { return p } }
        return try rest.next()
    }
}
