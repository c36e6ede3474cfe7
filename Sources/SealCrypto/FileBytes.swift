#if canImport(Glibc)
import Glibc
#endif

/// Small whole-file reads for certificates, keys and passphrase files (never message bodies).
public enum FileBytes {
    /// The file's bytes, up to `limit` (larger files are refused).
    public static func read(_ path: String, limit: Int = 16 << 20) throws(CertificateError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            out += buf[0..<n]
            if out.count > limit { throw .unreadable(path: path, reason: "larger than \(limit) bytes") }
        }
        return out
    }

    /// A passphrase file: its first line, without the line end. The bytes are
    /// wiped from the read buffer; the caller should wipe the result after use.
    public static func passphrase(_ path: String) throws(CertificateError) -> [UInt8] {
        var all = try read(path, limit: 64 << 10)
        defer { for i in all.indices { all[i] = 0 } }
        var line = Array(all.prefix { $0 != 10 })
        if line.last == 13 { line.removeLast() }
        return line
    }
}
