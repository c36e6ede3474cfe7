import SealCrypto

/// Reads an envelope page: its header (no decryption: `sealctl envelope inspect`),
/// and its payload with a passcode or the organisation's private key
/// (`sealctl envelope open`, the tests). The page may have LF or CRLF line ends
/// (as a mail client saved it).
public struct EnvelopeReader {
    public let header: JSON
    public let id: [UInt8]
    public let size: Int64
    public let iterations: Int
    /// The base64 text of the data element.
    let data: ArraySlice<UInt8>

    public init(page: [UInt8]) throws {
        guard let h = Self.element(page, id: "sealmilter-header") else { throw EnvelopeError.damaged("no header element: not an envelope") }
        let header: JSON
        do { header = try JSON.parse(Array(h)) } catch { throw EnvelopeError.damaged("header: \(error)") }
        guard header["format"]?.string == EnvelopeFormat.formatName else { throw EnvelopeError.damaged("not a sealmilter envelope") }
        guard let v = header["version"]?.int else { throw EnvelopeError.damaged("no version") }
        guard v == EnvelopeFormat.version else {
            throw EnvelopeError.unsupported("envelope format version \(v) (this Sealmilter reads version \(EnvelopeFormat.version))")
        }
        guard let ids = header["id"]?.string, let id = Base64URL.decode(ids), id.count == EnvelopeFormat.idSize else {
            throw EnvelopeError.damaged("bad id")
        }
        guard header["cipher"]?.string == "AES-256-GCM", header["chunk"]?.int == Int64(EnvelopeFormat.chunkSize) else {
            throw EnvelopeError.damaged("unknown cipher or chunk size")
        }
        guard let size = header["size"]?.int, size >= 4 else { throw EnvelopeError.damaged("bad size") }
        guard header["kdf"]?["name"]?.string == "PBKDF2-SHA-256", let it = header["kdf"]?["iterations"]?.int,
              EnvelopeFormat.readerIterations.contains(Int(it)) else { throw EnvelopeError.damaged("bad key derivation parameters") }
        guard let d = Self.element(page, id: "sealmilter-data") else { throw EnvelopeError.damaged("no data element") }
        self.header = header; self.id = id; self.size = size; self.iterations = Int(it); self.data = d
    }

    /// The text of `<script ... id="ID">` up to its `</script>`.
    static func element(_ page: [UInt8], id: String) -> ArraySlice<UInt8>? {
        let open = Array("id=\"\(id)\">".utf8)
        guard let a = PageTemplate.find(open, in: page, caseless: false) else { return nil }
        let start = a + open.count
        guard let e = PageTemplate.find(Array("</script>".utf8), in: Array(page[start...]), caseless: false) else { return nil }
        return page[start..<(start + e)]
    }

    /// The recipients' addresses and hints.
    public var recipients: [(address: String, hint: String?)] {
        (header["recipients"]?.array ?? []).map { ($0["address"]?.string ?? "?", $0["hint"]?.string) }
    }

    /// The content key from a passcode: the wrap of `address` if given, else every wrap.
    public func contentKey(passcode: String, address: String? = nil) throws -> [UInt8] {
        for r in header["recipients"]?.array ?? [] {
            if let address, r["address"]?.string?.lowercased() != address.lowercased() { continue }
            guard let salt = r["salt"]?.string.flatMap(Base64.decode), salt.count == 16,
                  let nonce = r["nonce"]?.string.flatMap(Base64.decode), nonce.count == 12,
                  let wrapped = r["wrapped"]?.string.flatMap(Base64.decode), wrapped.count == 48 else {
                throw EnvelopeError.damaged("bad recipient entry")
            }
            let k = try EnvelopeFormat.wrapKey(passcode: passcode, salt: salt, iterations: iterations)
            if let ck = try AESGCM.open(key: k, nonce: nonce, aad: EnvelopeFormat.wrapLabel + id, wrapped) { return ck }
        }
        throw EnvelopeError.wrongKey("wrong passcode")
    }

    /// The content key from the organisation's recovery private key.
    public func contentKey(recovery key: P256Key) throws -> [UInt8] {
        guard let r = header["recovery"], r["alg"]?.string == "ECDH-P256",
              let epkDER = r["epk"]?.string.flatMap(Base64.decode), let epk = P256Key.fromSPKI(epkDER),
              let nonce = r["nonce"]?.string.flatMap(Base64.decode), nonce.count == 12,
              let wrapped = r["wrapped"]?.string.flatMap(Base64.decode), wrapped.count == 48 else {
            throw EnvelopeError.damaged("bad recovery entry")
        }
        if let kid = r["kid"]?.string, kid != Base64URL.encode(try SealCrypto.sha256(try key.spkiDER())) {
            throw EnvelopeError.wrongKey("the envelope was made for another recovery key (kid \(kid))")
        }
        let krec = try EnvelopeFormat.ecdhKey(shared: try key.sharedSecret(with: epk), id: id, info: EnvelopeFormat.recoveryLabel)
        guard let ck = try AESGCM.open(key: krec, nonce: nonce, aad: EnvelopeFormat.recoveryLabel + id, wrapped) else {
            throw EnvelopeError.wrongKey("the recovery key does not open this envelope")
        }
        return ck
    }

    /// The decrypted payload: the meta and the original message, streamed to
    /// `message` (in chunks). Throws ``EnvelopeError/damaged(_:)`` on any fault;
    /// the bytes handed out before a fault must then be discarded.
    public func open(contentKey ck: [UInt8], message: (UnsafeRawBufferPointer) throws -> Void) throws -> JSON {
        try withoutActuallyEscaping(message) { try open(ck, $0) }
    }

    private func open(_ ck: [UInt8], _ message: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> JSON {
        let kcontent = try EnvelopeFormat.contentKey(ck: ck, id: id)
        var head: [UInt8] = []
        var metaLength = -1
        var meta: JSON = .null
        var total: Int64 = 0
        let opener = try ChunkOpener(key: kcontent, id: id) { b in
            total += Int64(b.count)
            guard total <= size else { throw EnvelopeError.damaged("more data than the header's size") }
            var rest = b[...]
            if metaLength < 0 || head.count < 4 + metaLength {
                let want = (metaLength < 0 ? 4 : 4 + metaLength) - head.count
                let take = min(want, rest.count)
                head += rest.prefix(take); rest = rest.dropFirst(take)
                if metaLength < 0 && head.count == 4 {
                    metaLength = Int(head[0]) << 24 | Int(head[1]) << 16 | Int(head[2]) << 8 | Int(head[3])
                    guard metaLength <= EnvelopeFormat.maxMetaSize, Int64(metaLength) + 4 <= size else { throw EnvelopeError.damaged("bad meta length") }
                    let more = min(metaLength, rest.count)
                    head += rest.prefix(more); rest = rest.dropFirst(more)
                }
                if metaLength >= 0 && head.count == 4 + metaLength {
                    do { meta = try JSON.parse(Array(head[4...])) } catch { throw EnvelopeError.damaged("meta: \(error)") }
                }
            }
            if !rest.isEmpty { try message(UnsafeRawBufferPointer(rebasing: rest)) }
        }
        try Self.decodeBase64(data) { try opener.write($0) }
        try opener.finish()
        guard total == size else { throw EnvelopeError.damaged("decrypted \(total) bytes, the header says \(size)") }
        guard meta["v"]?.int == 1 else { throw EnvelopeError.damaged("bad meta") }
        return meta
    }

    /// Decodes base64 text, skipping line ends and white space, in pieces.
    static func decodeBase64(_ text: ArraySlice<UInt8>, _ out: (UnsafeRawBufferPointer) throws -> Void) throws {
        var table = [Int16](repeating: -1, count: 256)
        for (i, c) in Base64Lines.alphabet.enumerated() { table[Int(c)] = Int16(i) }
        var buf: [UInt8] = []
        buf.reserveCapacity(1 << 16 + 3)
        var acc: UInt32 = 0, n = 0, pad = 0
        for c in text {
            if c == 10 || c == 13 || c == 32 || c == 9 { continue }
            if c == UInt8(ascii: "=") { pad += 1; continue }
            let v = table[Int(c)]
            guard v >= 0, pad == 0 else { throw EnvelopeError.damaged("the data is not base64") }
            acc = acc << 6 | UInt32(v); n += 1
            if n == 4 {
                buf.append(UInt8(acc >> 16)); buf.append(UInt8(acc >> 8 & 255)); buf.append(UInt8(acc & 255))
                acc = 0; n = 0
                if buf.count >= 1 << 16 { try buf.withUnsafeBytes { try out($0) }; buf.removeAll(keepingCapacity: true) }
            }
        }
        switch (n, pad) {
        case (0, 0): break
        case (2, 2): buf.append(UInt8(acc >> 4 & 255))
        case (3, 1): buf.append(UInt8(acc >> 10 & 255)); buf.append(UInt8(acc >> 2 & 255))
        default: throw EnvelopeError.damaged("the data's base64 is cut short")
        }
        if !buf.isEmpty { try buf.withUnsafeBytes { try out($0) } }
    }
}
