import SealPolicy
import SealSubmit
#if canImport(Glibc)
import Glibc
#endif

/// What an engine needs to submit messages: the submitter the policy names and the
/// marker key read from its key file. Made once per engine (policy load).
struct SubmissionSetup: Sendable {
    let settings: SubmissionSettings
    let submitter: any Submitter
    /// The marker secret (nil when it could not be read: then every submission and
    /// every marker check fails closed, and ``keyProblem`` says why).
    let key: [UInt8]?
    let keyProblem: String?

    init?(policy: Policy) {
        guard let s = policy.settings.submission else { return nil }
        settings = s
        switch s.method {
        case .smtp: submitter = SMTPSubmitter(host: s.host, port: s.port, timeout: s.timeout)
        case .sendmail: submitter = SendmailSubmitter(path: s.sendmail, timeout: s.timeout)
        }
        if let file = policy.keys.first(where: { $0.name == s.markerKey }) {
            switch Self.readSecret(path: file.path) {
            case .success(let k): key = k; keyProblem = nil
            case .failure(let e): key = nil; keyProblem = "keys.\(file.name): \(file.path): \(e.message)"
            }
        } else {
            key = nil; keyProblem = "submission.marker_key names no key"
        }
    }

    struct SecretError: Error { let message: String }

    /// A secret file's bytes, trailing white space removed; at least 16 bytes.
    /// Its content never appears in a message.
    static func readSecret(path: String) -> Result<[UInt8], SecretError> {
        guard let f = fopen(path, "rb") else { return .failure(SecretError(message: "cannot be read: " + String(cString: strerror(errno)))) }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= 64 * 1024 {
            let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            bytes += buffer[0..<n]
            if n < buffer.count { break }
        }
        if bytes.count > 64 * 1024 { return .failure(SecretError(message: "is larger than 64 KiB; a marker secret is a short random value")) }
        while let l = bytes.last, l == 10 || l == 13 || l == 32 || l == 9 { bytes.removeLast() }
        if bytes.count < 16 {
            return .failure(SecretError(message: "holds \(bytes.count) bytes; a marker secret needs at least 16 (e.g. head -c 32 /dev/urandom | base64 > FILE)"))
        }
        return .success(bytes)
    }
}
