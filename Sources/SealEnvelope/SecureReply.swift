#if canImport(SealCrypto)
import SealCrypto
#endif

/// Secure replies (docs/envelope-format.md, section 5): the armored block a
/// reader's viewer makes, found in a message, checked with the reply key the
/// gateway recomputes from its secret, and decrypted with the organisation key.
public enum SecureReply {
    public static let begin = "-----BEGIN SEALMILTER SECURE REPLY-----"
    public static let end = "-----END SEALMILTER SECURE REPLY-----"
    /// The most base64 text a block may hold (64 MiB).
    public static let maxArmor = 64 << 20

    /// Why a block is not a good secure reply; `reason` is short and safe to log.
    public struct ReplyError: Error, CustomStringConvertible, Equatable {
        public var reason: String
        public init(_ reason: String) { self.reason = reason }
        public var description: String { reason }
    }

    /// A parsed block, not yet verified.
    public struct Block: Equatable {
        public var envelopeID: [UInt8]
        public var epk: [UInt8]
        public var nonce: [UInt8]
        public var ciphertext: [UInt8]
        public var mac: [UInt8]
    }

    /// The base64 text between the first BEGIN line and the END line after it in
    /// `text`, or nil when there is no BEGIN line. A block whose lines are quoted
    /// (`> `) is not taken; trailing spaces are ignored.
    public static func armor(in text: [UInt8]) throws(ReplyError) -> [UInt8]? {
        let b = Array(begin.utf8), e = Array(end.utf8)
        guard let at = Bytes.find(b, in: text, caseless: false) else { return nil }
        // The BEGIN marker must start its line.
        if at > 0 && text[at - 1] != 10 { throw ReplyError("armor begin line is quoted or indented") }
        var i = at + b.count
        var body: [UInt8] = []
        var lineStart = true
        var line: [UInt8] = []
        while i < text.count {
            let c = text[i]; i += 1
            if c == 10 {
                while let l = line.last, l == 13 || l == 32 || l == 9 { line.removeLast() }
                if line == e { return body }
                if !lineStart || !line.isEmpty {
                    if line.first == UInt8(ascii: ">") { throw ReplyError("armor lines are quoted") }
                    body += line
                    if body.count > maxArmor { throw ReplyError("armor larger than \(maxArmor >> 20) MiB") }
                }
                line.removeAll(keepingCapacity: true); lineStart = true
                continue
            }
            lineStart = false
            line.append(c)
            if line.count > maxArmor { throw ReplyError("armor line too long") }
        }
        while let l = line.last, l == 13 || l == 32 || l == 9 { line.removeLast() }
        if line == e { return body }
        throw ReplyError("armor has no end line (truncated)")
    }

    /// Parses the base64 armor body into a block (checks the JSON, version, sizes).
    public static func parse(armor: [UInt8]) throws(ReplyError) -> Block {
        let text = armor.filter { $0 != 32 && $0 != 9 && $0 != 13 && $0 != 10 }
        guard let raw = Base64.decode(String(decoding: text, as: UTF8.self)) else { throw ReplyError("armor is not base64") }
        let j: JSON
        do { j = try JSON.parse(raw, maxDepth: 4) } catch { throw ReplyError("not a reply object: \(error.message)") }
        guard let v = j["v"]?.int else { throw ReplyError("no version") }
        guard v == 1 else { throw ReplyError("unknown version \(v)") }
        guard let ids = j["envelope"]?.string, let id = Base64URL.decode(ids), id.count == EnvelopeFormat.idSize else {
            throw ReplyError("bad envelope id")
        }
        guard let epk = j["epk"]?.string.flatMap(Base64.decode), epk.count < 200 else { throw ReplyError("bad epk") }
        guard let nonce = j["nonce"]?.string.flatMap(Base64.decode), nonce.count == 12 else { throw ReplyError("bad nonce") }
        guard let ct = j["ct"]?.string.flatMap(Base64.decode), ct.count >= 16 else { throw ReplyError("bad ciphertext") }
        guard let mac = j["mac"]?.string.flatMap(Base64.decode), mac.count == 32 else { throw ReplyError("bad mac") }
        return Block(envelopeID: id, epk: epk, nonce: nonce, ciphertext: ct, mac: mac)
    }

    static func macInput(_ b: Block) -> [UInt8] {
        EnvelopeFormat.replyMacLabel + b.envelopeID + b.epk + b.nonce + b.ciphertext
    }

    /// Verifies the block's MAC with the reply key recomputed from `replySecret`
    /// (constant time), then decrypts it with the organisation's private key: the
    /// reply's MIME message bytes.
    public static func open(_ b: Block, replySecret: [UInt8], organisation: P256Key) throws(ReplyError) -> [UInt8] {
        do {
            let kreply = try EnvelopeFormat.replyKey(secret: replySecret, id: b.envelopeID)
            let mac = try SealCrypto.hmacSHA256(key: kreply, message: macInput(b))
            guard SealCrypto.constantTimeEqual(mac, b.mac) else {
                throw ReplyError("reply key does not verify (tampered, or made for an envelope this gateway did not send)")
            }
            guard let epk = P256Key.fromSPKI(b.epk) else { throw ReplyError("epk is not a P-256 public key") }
            let kr = try EnvelopeFormat.ecdhKey(shared: try organisation.sharedSecret(with: epk), id: b.envelopeID,
                                                info: EnvelopeFormat.replyContentLabel)
            guard let plain = try AESGCM.open(key: kr, nonce: b.nonce, aad: EnvelopeFormat.replyContentLabel + b.envelopeID, b.ciphertext) else {
                throw ReplyError("does not decrypt with the organisation key")
            }
            return plain
        } catch let e as ReplyError {
            throw e
        } catch {
            throw ReplyError("crypto failure: \(error)")
        }
    }

    /// Builds an armored block (what the viewer does), for tests and tools: the
    /// reply `message` encrypted to `organisation` and authenticated with `replyKey`.
    public static func build(envelopeID: [UInt8], organisation: P256Key, replyKey: [UInt8], message: [UInt8]) throws -> String {
        let eph = try P256Key.generate()
        let epk = try eph.spkiDER()
        let kr = try EnvelopeFormat.ecdhKey(shared: try eph.sharedSecret(with: organisation), id: envelopeID, info: EnvelopeFormat.replyContentLabel)
        let nonce = try SealCrypto.randomBytes(12)
        let ct = try AESGCM.seal(key: kr, nonce: nonce, aad: EnvelopeFormat.replyContentLabel + envelopeID, message)
        let b = Block(envelopeID: envelopeID, epk: epk, nonce: nonce, ciphertext: ct, mac: [])
        let mac = try SealCrypto.hmacSHA256(key: replyKey, message: macInput(b))
        let r: JSON = .object([("v", .int(1)), ("envelope", .string(Base64URL.encode(envelopeID))), ("epk", .string(Base64.encode(epk))),
                               ("nonce", .string(Base64.encode(nonce))), ("ct", .string(Base64.encode(ct))), ("mac", .string(Base64.encode(mac)))])
        let b64 = Array(Base64.encode(Array(r.text.utf8)).utf8)
        var out = begin + "\n"
        var i = 0
        while i < b64.count { out += String(decoding: b64[i..<min(i + 76, b64.count)], as: UTF8.self) + "\n"; i += 76 }
        return out + end + "\n"
    }
}
