import SealCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Reading the envelope's key files: the organisation's recovery key (PEM) and
/// the reply secret. Errors say which file and why, never what is in it.
public enum KeyMaterial {
    public struct KeyError: Error, CustomStringConvertible {
        public init(message: String) { self.message = message }
        public var message: String
        public var description: String { message }
    }

    /// A file's bytes (at most `limit`).
    public static func read(_ path: String, limit: Int = 1 << 20) throws(KeyError) -> [UInt8] {
        guard let f = fopen(path, "rb") else { throw KeyError(message: "\(path): cannot be read: " + String(cString: strerror(errno))) }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            bytes += buffer[0..<n]
            if n < buffer.count { break }
        }
        if ferror(f) != 0 { throw KeyError(message: "\(path): read error") }
        if bytes.count > limit { throw KeyError(message: "\(path): larger than \(limit) bytes") }
        return bytes
    }

    /// The reply secret: the file's bytes without trailing white space, at least 32.
    public static func replySecret(_ path: String) throws(KeyError) -> [UInt8] {
        var b = try read(path, limit: 64 * 1024)
        while let l = b.last, l == 10 || l == 13 || l == 32 || l == 9 { b.removeLast() }
        if b.count < 32 {
            throw KeyError(message: "\(path): holds \(b.count) bytes; a reply secret needs at least 32 (sealctl keys init makes one)")
        }
        return b
    }

    /// A P-256 key from a PEM file; `needPrivate` refuses a public key.
    public static func p256(_ path: String, needPrivate: Bool) throws(KeyError) -> P256Key {
        let b = try read(path, limit: 64 * 1024)
        guard let k = P256Key.fromPEM(b) else {
            throw KeyError(message: "\(path): not a P-256 key in PEM (sealctl keys init makes one)")
        }
        if needPrivate && !k.hasPrivate { throw KeyError(message: "\(path): holds a public key; the private key is needed") }
        return k
    }
}
