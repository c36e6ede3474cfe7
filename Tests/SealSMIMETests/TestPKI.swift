import Foundation
import SealCrypto

/// A throw-away PKI made with the `openssl` command in a temporary directory:
/// a root CA, an intermediate, and end-entity certificates with the usages a
/// test asks for. A missing `openssl` fails the test with a message naming it.
final class TestPKI {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "sealsmime-pki-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try write("ca.ext", "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n")
        try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                    "-days", "3650", "-subj", "/O=Test/CN=Test Root CA", "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        try openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem",
                    "-days", "3650", "-subj", "/O=Other/CN=Other Root CA", "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func path(_ name: String) -> String { dir + "/" + name }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
    }

    @discardableResult
    func openssl(_ args: String...) throws -> String { try run("openssl", Array(args)) }

    func run(_ tool: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        do { try p.run() } catch { throw PKIError("cannot run \(tool): \(error) (install it: the test needs it)") }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus == 127 { throw PKIError("\(tool) is not installed (the test needs it)") }
        guard p.terminationStatus == 0 else {
            throw PKIError("\(tool) \(args.joined(separator: " ")) failed: " + String(decoding: e, as: UTF8.self))
        }
        return String(decoding: o, as: UTF8.self)
    }

    /// An end-entity certificate `name`.pem with key `name`.key, issued by `ca`.
    /// `san` nil leaves out the subjectAltName; `email` puts an emailAddress in the subject.
    @discardableResult
    func issue(_ name: String, san: [String]? = nil, email: String? = nil, key: String = "rsa:2048",
               keyUsage: String? = "critical,digitalSignature,keyEncipherment", eku: String? = "emailProtection",
               days: Int = 365, startOffsetDays: Int = 0, ca: String = "ca") throws -> Certificate {
        var ext = "basicConstraints=CA:FALSE\n"
        if let keyUsage { ext += "keyUsage=\(keyUsage)\n" }
        if let eku { ext += "extendedKeyUsage=\(eku)\n" }
        if let san { ext += "subjectAltName=" + san.map { "email:\($0)" }.joined(separator: ",") + "\n" }
        try write(name + ".ext", ext)
        if key.hasPrefix("ec:") {
            try openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + key.dropFirst(3), "-out", name + ".key")
        } else {
            try openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:" + (key.split(separator: ":").last ?? "2048"), "-out", name + ".key")
        }
        let subj = "/O=Test/CN=\(name)" + (email.map { "/emailAddress=\($0)" } ?? "")
        try openssl("req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", subj)
        // `openssl ca` sets arbitrary start dates; x509 -req cannot, so a not-yet-valid
        // certificate is made with ca -startdate.
        let start = Date().addingTimeInterval(Double(startOffsetDays) * 86400 - 120)
        let end = start.addingTimeInterval(Double(days) * 86400)
        let f = DateFormatter(); f.dateFormat = "yyyyMMddHHmmss'Z'"; f.timeZone = TimeZone(identifier: "UTC")
        try write(name + ".cnf", """
            [ca]
            default_ca = c
            [c]
            database = \(path("index-" + ca + ".txt"))
            new_certs_dir = \(dir)
            serial = \(path(ca + ".srl"))
            default_md = sha256
            policy = p
            unique_subject = no
            [p]
            commonName = supplied
            organizationName = optional
            emailAddress = optional

            """)
        if !FileManager.default.fileExists(atPath: path(ca + ".srl")) { try write(ca + ".srl", "1000\n") }
        if !FileManager.default.fileExists(atPath: path("index-" + ca + ".txt")) { try write("index-" + ca + ".txt", "") }
        try openssl("ca", "-batch", "-config", name + ".cnf", "-cert", ca + ".pem", "-keyfile", ca + ".key",
                    "-in", name + ".csr", "-out", name + ".pem", "-extfile", name + ".ext", "-notext",
                    "-startdate", f.string(from: start), "-enddate", f.string(from: end))
        return try Certificate.load(file: path(name + ".pem"))[0]
    }

    /// Revokes `name`.pem and writes `crl.pem` of the CA.
    func revoke(_ name: String) throws {
        try openssl("ca", "-config", name + ".cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-revoke", name + ".pem")
        try openssl("ca", "-config", name + ".cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-gencrl", "-crldays", "30", "-out", "crl.pem")
    }
}

struct PKIError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
