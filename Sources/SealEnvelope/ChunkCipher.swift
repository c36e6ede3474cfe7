#if canImport(SealCrypto)
import SealCrypto
#endif

/// Encrypts a payload of any length in 64 KiB chunks as it streams by
/// (docs/envelope-format.md, section 4): holds at most one chunk and one byte of
/// plaintext, so that it knows which chunk is the final one.
final class ChunkSealer {
    private let cipher: AESGCM
    private let id: [UInt8]
    private var buffer: [UInt8] = []
    private var index: UInt64 = 0
    private var sealed: [UInt8] = []
    private let emit: (UnsafeRawBufferPointer) throws -> Void
    /// Plaintext bytes taken so far.
    private(set) var count: Int64 = 0

    init(key: [UInt8], id: [UInt8], emit: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        cipher = try AESGCM(key: key, encrypt: true)
        self.id = id
        self.emit = emit
        buffer.reserveCapacity(EnvelopeFormat.chunkSize)
        sealed.reserveCapacity(EnvelopeFormat.sealedChunkSize)
    }

    func write(_ b: UnsafeRawBufferPointer) throws {
        var i = 0
        count += Int64(b.count)
        while i < b.count {
            // A full buffer is sealed as not final only once more data has come.
            if buffer.count == EnvelopeFormat.chunkSize { try seal(final: false) }
            let take = min(EnvelopeFormat.chunkSize - buffer.count, b.count - i)
            buffer.append(contentsOf: b[i..<i + take])
            i += take
        }
    }

    func write(_ b: [UInt8]) throws { try b.withUnsafeBytes { try write($0) } }

    /// Seals what is left as the final chunk (empty only when nothing came at all).
    func finish() throws { try seal(final: true) }

    private func seal(final: Bool) throws {
        sealed.removeAll(keepingCapacity: true)
        try buffer.withUnsafeBytes { p in
            try cipher.seal(nonce: EnvelopeFormat.chunkNonce(index), aad: EnvelopeFormat.chunkAAD(id: id, index, final: final), p, into: &sealed)
        }
        try sealed.withUnsafeBytes { try emit($0) }
        index += 1
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Decrypts the concatenated sealed chunks as they stream by, and says whether
/// they were whole: every tag good, the last chunk (and only it) final.
final class ChunkOpener {
    private let cipher: AESGCM
    private let id: [UInt8]
    private var buffer: [UInt8] = []
    private var index: UInt64 = 0
    private var plain: [UInt8] = []
    private let emit: (UnsafeRawBufferPointer) throws -> Void
    private(set) var count: Int64 = 0

    init(key: [UInt8], id: [UInt8], emit: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        cipher = try AESGCM(key: key, encrypt: false)
        self.id = id
        self.emit = emit
    }

    func write(_ b: UnsafeRawBufferPointer) throws {
        var i = 0
        while i < b.count {
            if buffer.count == EnvelopeFormat.sealedChunkSize { try open(final: false) }
            let take = min(EnvelopeFormat.sealedChunkSize - buffer.count, b.count - i)
            buffer.append(contentsOf: b[i..<i + take])
            i += take
        }
    }

    func finish() throws { try open(final: true) }

    private func open(final: Bool) throws {
        plain.removeAll(keepingCapacity: true)
        let ok = try buffer.withUnsafeBytes { p -> Bool in
            try cipher.open(nonce: EnvelopeFormat.chunkNonce(index), aad: EnvelopeFormat.chunkAAD(id: id, index, final: final), p, into: &plain)
        }
        guard ok else {
            throw EnvelopeError.damaged(final ? "chunk \(index) (the last) does not verify as the final chunk: truncated or altered"
                                              : "chunk \(index) does not verify: altered, reordered or from another envelope")
        }
        count += Int64(plain.count)
        try plain.withUnsafeBytes { try emit($0) }
        index += 1
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Why an envelope or a secure reply cannot be opened. Never carries key material.
public enum EnvelopeError: Error, CustomStringConvertible, Equatable {
    /// The file is not an envelope, or is damaged (format, tag, length).
    case damaged(String)
    /// No wrap opens with the key or passcode given.
    case wrongKey(String)
    /// A newer format version.
    case unsupported(String)
    /// Building failed (keys, spool, input).
    case failed(String)

    public var description: String {
        switch self {
        case .damaged(let s): "damaged envelope: \(s)"
        case .wrongKey(let s): s
        case .unsupported(let s): s
        case .failed(let s): s
        }
    }
}
