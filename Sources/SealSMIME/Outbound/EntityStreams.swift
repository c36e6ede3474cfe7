import SealCrypto
import SealEngine

/// A MIME entity read as a byte stream for OpenSSL: header bytes, then a body,
/// converted to the canonical form S/MIME signs and encrypts (CRLF line ends,
/// RFC 8551 3.1.1). Chunks stream through; nothing is held whole.
final class EntitySource: ByteSource {
    enum Piece { case bytes([UInt8]); case body(any BodySource) }
    private var pieces: [Piece]
    private var index = 0
    private var pending: [UInt8] = []
    private var pos = 0
    private var lastWasCR = false
    /// Bytes produced (canonical form).
    private(set) var count: Int64 = 0

    init(_ pieces: [Piece]) { self.pieces = pieces }

    /// The next canonical chunk, or nil at the end.
    func nextChunk() throws -> [UInt8]? {
        while index < pieces.count {
            let raw: [UInt8]?
            switch pieces[index] {
            case .bytes(let b): raw = b; index += 1
            case .body(let s):
                raw = try s.next()
                if raw == nil { index += 1; continue }
            }
            guard let raw, !raw.isEmpty else { continue }
            let c = canonical(raw)
            count += Int64(c.count)
            return c
        }
        return nil
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while pos >= pending.count {
            guard let next = try nextChunk() else { return 0 }
            pending = next; pos = 0
        }
        let n = min(buffer.count, pending.count - pos)
        pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + pos, byteCount: n) }
        pos += n
        return n
    }

    /// Bare LF becomes CRLF (a CR at the end of the previous chunk counts).
    private func canonical(_ b: [UInt8]) -> [UInt8] {
        let out = b.withUnsafeBytes { LineEnds.crlf($0, afterCR: lastWasCR) }
        lastWasCR = b.last == 13
        return out ?? b
    }
}

/// Appends to a spool, turning CRLF into LF when the message's body uses LF line
/// ends (so the output keeps the original's convention). Writes are gathered into
/// 112 KiB blocks (a spool on disk makes one system call per append); ``finish()``
/// writes the rest and must be called before the spool is read.
///
/// The block size matters for messages of a few tens of KB: an output of up to a
/// block reaches the spool in one append, so the spool's memory is allocated once
/// at its size. With 64 KiB blocks a 70 KB output (a 50 KB message encrypted) grew
/// the spool's array from 64 to 128 KiB, past glibc's mmap threshold: a fresh
/// mapping, 32 page faults and an munmap for every message (about a tenth of the
/// engine's time for such a message, perf). The block and its slack stay below
/// that threshold (128 KiB), so the gathering buffer itself comes from the heap.
final class SpoolSink: ByteSink {
    let spool: BodySpool
    private let toLF: Bool
    private var heldCR = false
    private var pending: [UInt8] = []
    static let block = 112 * 1024

    init(_ spool: BodySpool, lineEnd: LineEnd) {
        self.spool = spool; toLF = lineEnd == .lf
        pending.reserveCapacity(Self.block + 4096)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if !toLF {
            pending.append(contentsOf: bytes)
        } else {
            if heldCR { if bytes.first != 10 { pending.append(13) }; heldCR = false }
            for i in 0..<bytes.count {
                let x = bytes[i]
                if x == 13 {
                    if i + 1 < bytes.count { if bytes[i + 1] != 10 { pending.append(13) } } else { heldCR = true }
                    continue
                }
                pending.append(x)
            }
        }
        if pending.count >= Self.block { try flush() }
    }

    private func flush() throws {
        if !pending.isEmpty {
            pending.withUnsafeBytes { spool.append($0) }
            pending.removeAll(keepingCapacity: true)
        }
        if let e = spool.error { throw SMIMEError(e) }
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Writes what is gathered (and a CR held at the very end).
    func finish() throws {
        if heldCR { heldCR = false; pending.append(13) }
        try flush()
    }
}

/// The line-end convention of a body.
enum LineEnd: Equatable {
    case crlf, lf
    var text: String { self == .crlf ? "\r\n" : "\n" }

    /// Sniffed from the first line end of the original body (CRLF when there is none).
    static func of(_ spool: BodySpool) -> LineEnd {
        let head = spool.prefix(4096)
        return head.firstIndex(of: 10).map { $0 > 0 && head[$0 - 1] == 13 ? LineEnd.crlf : .lf } ?? .crlf
    }
}

/// A failure of S/MIME processing: the message is tempfailed (never sent in
/// plaintext) and this text is logged. Names addresses and files, never secrets.
public struct SMIMEError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
