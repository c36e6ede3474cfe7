import COpenSSL
import SealCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Harvesting: the certificate of a signer whose signature verified and chained
/// is kept, so that outbound encryption can use it. Each certificate is one PEM
/// file named by its SHA-256 fingerprint (several per address are fine), written
/// to a temporary name and renamed (readers never see half a file; many threads
/// may harvest at once). The signer's advertised S/MIME capabilities go beside it
/// (`<fingerprint>.caps`, one algorithm per line), so outbound can pick AES-GCM for
/// recipients that advertise it.
enum Harvest {
    enum Failure: Error, CustomStringConvertible {
        case noAddress, write(String)
        var description: String {
            switch self {
            case .noAddress: return "the certificate names no e-mail address"
            case .write(let s): return s
            }
        }
    }

    /// Adds the certificate; `true` when it was new.
    static func add(der: [UInt8], capabilities: [String], directory: String) -> Result<Bool, Failure> {
        guard let cert = Certificate.der(der), !cert.emailAddresses.isEmpty else { return .failure(.noAddress) }
        guard let digest = try? SealCrypto.sha256(der) else { return .failure(.write("SHA-256 failed")) }
        let hex = digest.map { b in String(b >> 4, radix: 16) + String(b & 15, radix: 16) }.joined()
        let path = directory + "/" + hex + ".pem"
        if access(path, F_OK) == 0 { return .success(false) }
        var pem = "-----BEGIN CERTIFICATE-----\n"
        let b64 = Base64.encode(der)
        var i = b64.startIndex
        while i < b64.endIndex {
            let j = b64.index(i, offsetBy: 64, limitedBy: b64.endIndex) ?? b64.endIndex
            pem += b64[i..<j] + "\n"
            i = j
        }
        pem += "-----END CERTIFICATE-----\n"
        if let e = writeAtomically(directory: directory, name: hex + ".pem", Array(pem.utf8)) { return .failure(.write(e)) }
        if !capabilities.isEmpty {
            _ = writeAtomically(directory: directory, name: hex + ".caps", Array((capabilities.joined(separator: "\n") + "\n").utf8))
        }
        return .success(true)
    }

    /// Writes `bytes` to `directory/name` through a temporary file and rename; the error, or nil.
    static func writeAtomically(directory: String, name: String, _ bytes: [UInt8]) -> String? {
        var template = Array((directory + "/.harvest.XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return "cannot write in \(directory): \(String(cString: strerror(errno)))" }
        let tmp = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        fchmod(fd, 0o644)
        var off = 0
        let ok = bytes.withUnsafeBytes { b -> Bool in
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok, rename(tmp, directory + "/" + name) == 0 else {
            let e = String(cString: strerror(errno))
            unlink(tmp)
            return "cannot write \(directory)/\(name): \(e)"
        }
        return nil
    }
}
