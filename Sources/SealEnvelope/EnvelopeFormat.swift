#if canImport(SealCrypto)
import SealCrypto
#endif

/// Constants and derivations of envelope format version 1 (docs/envelope-format.md).
public enum EnvelopeFormat {
    public static let version: Int64 = 1
    public static let formatName = "sealmilter-envelope"
    /// Plaintext bytes per chunk.
    public static let chunkSize = 65536
    public static let tagSize = 16
    /// Ciphertext bytes per full chunk.
    public static let sealedChunkSize = chunkSize + tagSize
    public static let idSize = 16
    /// The fewest PBKDF2 iterations the gateway writes, and what readers accept.
    public static let minimumIterations = 600_000
    public static let readerIterations = 100_000...10_000_000
    /// The meta JSON's largest size.
    public static let maxMetaSize = 1 << 20

    static let contentInfo = "sealmilter-envelope v1 content"
    static let wrapLabel = Array("sealmilter-envelope v1 wrap".utf8)
    static let recoveryLabel = Array("sealmilter-envelope v1 recovery".utf8)
    static let replyInfo = "sealmilter-envelope v1 reply"
    static let replyContentLabel = Array("sealmilter-envelope v1 reply-content".utf8)
    static let replyMacLabel = Array("sealmilter-envelope v1 reply-mac".utf8)

    /// The nonce of chunk `i`: 4 zero bytes, then `i` as 8 bytes big-endian.
    public static func chunkNonce(_ i: UInt64) -> [UInt8] {
        [0, 0, 0, 0] + bigEndian(i)
    }

    /// The associated data of chunk `i`: the id, `i` big-endian, and 1 for the final chunk.
    public static func chunkAAD(id: [UInt8], _ i: UInt64, final: Bool) -> [UInt8] {
        id + bigEndian(i) + [final ? 1 : 0]
    }

    static func bigEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * UInt64($0))) } }

    /// Kcontent from the content key and the envelope id.
    public static func contentKey(ck: [UInt8], id: [UInt8]) throws(CryptoError) -> [UInt8] {
        try KDF.hkdfSHA256(ikm: ck, salt: id, info: contentInfo)
    }

    /// Kwrap from a passcode (normalised here), a recipient's salt and the iteration count.
    public static func wrapKey(passcode: String, salt: [UInt8], iterations: Int) throws(CryptoError) -> [UInt8] {
        try KDF.pbkdf2SHA256(password: Array(Passcode.normalise(passcode).utf8), salt: salt, iterations: iterations)
    }

    /// Krec, or Kr for a reply: HKDF over the ECDH x-coordinate.
    static func ecdhKey(shared: [UInt8], id: [UInt8], info: [UInt8]) throws(CryptoError) -> [UInt8] {
        try KDF.hkdfSHA256(ikm: shared, salt: id, info: info)
    }

    /// Kreply, from the gateway's reply secret and the envelope id.
    public static func replyKey(secret: [UInt8], id: [UInt8]) throws(CryptoError) -> [UInt8] {
        try KDF.hkdfSHA256(ikm: secret, salt: id, info: replyInfo)
    }
}

/// base64url without padding (RFC 4648 section 5), for ids and key ids.
public enum Base64URL {
    public static func encode(_ b: [UInt8]) -> String {
        var s = Base64.encode(b)
        while s.hasSuffix("=") { s.removeLast() }
        return String(s.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    public static func decode(_ s: String) -> [UInt8]? {
        guard !s.contains(where: { $0 == "=" || $0 == "+" || $0 == "/" }) else { return nil }
        var t = String(s.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        switch t.utf8.count % 4 {
        case 1: return nil
        case 2: t += "=="
        case 3: t += "="
        default: break
        }
        return Base64.decode(t)
    }
}
