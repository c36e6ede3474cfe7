import Foundation
import Testing
import SealCrypto

/// Bytes in memory as a ByteSource / ByteSink (tests only).
final class ArraySource: ByteSource {
    var bytes: [UInt8]; var pos = 0; let chunk: Int
    init(_ b: [UInt8], chunk: Int = 1000) { bytes = b; self.chunk = chunk }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, chunk, bytes.count - pos)
        if n <= 0 { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + pos, byteCount: n) }
        pos += n
        return n
    }
}
final class ArraySink: ByteSink {
    var bytes: [UInt8] = []
    func write(_ b: UnsafeRawBufferPointer) throws { bytes += b }
}

/// CMS signing and encryption checked by the `openssl cms` command (an independent path through OpenSSL's apps).
@Suite struct CMSTests {
    @Test func encryptsForRSAAndECRecipients() throws {
        let pki = try TestPKI()
        let rsa = try pki.issue("rsa", san: ["rsa@example.org"])
        let ec = try pki.issue("ec", san: ["ec@example.org"], key: "ec:prime256v1", keyUsage: "critical,digitalSignature,keyAgreement")
        let oaep = try pki.issue("oaep", san: ["oaep@example.org"])
        let content = Array("Content-Type: text/plain\r\n\r\nsecret text\r\n".utf8) + [UInt8](repeating: 0x41, count: 200_000)
        for cipher in [CMS.Cipher.aes256cbc, .aes256gcm] {
            let sink = ArraySink()
            let n = try CMS.encrypt(from: ArraySource(content, chunk: 777), to: sink,
                                    recipients: [.init(rsa), .init(ec), .init(oaep, padding: .oaep)], cipher: cipher, crlf: true)
            #expect(n == Int64(content.count))
            #expect(!sink.bytes.contains(0x0a) || sink.bytes.windows2.allSatisfy { !($0.1 == 0x0a && $0.0 != 0x0d) }, "bare LF in output")
            let type = cipher.isAuthenticated ? "authEnveloped-data" : "enveloped-data"
            let msg = "MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=\(type); name=smime.p7m\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + String(decoding: sink.bytes, as: UTF8.self)
            try pki.write("enc.eml", msg)
            for who in ["rsa", "ec", "oaep"] {
                try pki.openssl("cms", "-decrypt", "-in", "enc.eml", "-recip", who + ".pem", "-inkey", who + ".key", "-out", "dec-\(who).bin")
                let dec = try [UInt8](Data(contentsOf: URL(fileURLWithPath: pki.path("dec-\(who).bin"))))
                #expect(dec == content, "\(cipher) \(who)")
            }
            let info = try pki.openssl("cms", "-cmsout", "-print", "-in", "enc.eml")
            #expect(info.contains(cipher.isAuthenticated ? "id-smime-ct-authEnvelopedData" : "pkcs7-envelopedData"), "\(cipher)")
            if cipher == .aes256cbc { #expect(info.contains("rsaesOaep"), "OAEP recipient info") }
        }
        // A recipient that is not one of them cannot decrypt.
        let other = try pki.issue("other", san: ["other@example.org"])
        _ = other
        #expect(throws: PKIError.self) { try pki.openssl("cms", "-decrypt", "-in", "enc.eml", "-recip", "other.pem", "-inkey", "other.key") }
    }

    @Test func signsDetachedAndOpaque() throws {
        let pki = try TestPKI()
        let cert = try pki.issue("signer", san: ["signer@example.org"])
        let key = try PrivateKey.load(Array(try String(contentsOfFile: pki.path("signer.key"), encoding: .utf8).utf8), what: "signer.key")
        let id = try Identity(key: key, certificate: cert, chain: [])
        let content = Array("Content-Type: text/plain\r\n\r\nsigned text\r\n".utf8)
        let signer = try DetachedSigner(identity: id)
        try signer.update(Array(content[0..<10]))
        try signer.update(Array(content[10...]))
        let der = try signer.finish()
        try Data(der).write(to: URL(fileURLWithPath: pki.path("sig.der")))
        try Data(content).write(to: URL(fileURLWithPath: pki.path("content.bin")))
        try pki.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.der", "-content", "content.bin",
                        "-CAfile", "ca.pem", "-out", "/dev/null")
        let printed = try pki.openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", "sig.der")
        #expect(printed.contains("sha256"))
        // Changed content fails.
        try Data(content + [0x41]).write(to: URL(fileURLWithPath: pki.path("content2.bin")))
        #expect(throws: PKIError.self) {
            try pki.openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.der", "-content", "content2.bin", "-CAfile", "ca.pem")
        }
        // Opaque.
        let sink = ArraySink()
        try CMS.signOpaque(from: ArraySource(content), to: sink, identity: id, crlf: false)
        let msg = "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\nContent-Transfer-Encoding: base64\n\n"
            + String(decoding: sink.bytes, as: UTF8.self)
        try pki.write("opaque.eml", msg)
        try pki.openssl("cms", "-verify", "-binary", "-in", "opaque.eml", "-CAfile", "ca.pem", "-out", "opaque.out")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: pki.path("opaque.out")))) == content)
    }

    @Test func loadsPKCS12AndRefusesWrongPassphrase() throws {
        let pki = try TestPKI()
        _ = try pki.issue("p", san: ["p@example.org"])
        try pki.openssl("pkcs12", "-export", "-in", "p.pem", "-inkey", "p.key", "-certfile", "ca.pem", "-out", "p.p12", "-passout", "pass:s3cret")
        try pki.write("pass", "s3cret\n")
        try pki.write("wrong", "nope\n")
        let id = try Identity.load(pkcs12File: pki.path("p.p12"), passphraseFile: pki.path("pass"))
        #expect(id.certificate.names("p@example.org") && id.chain.count == 1)
        let wrong = Result { () throws(CertificateError) -> Identity in try Identity.load(pkcs12File: pki.path("p.p12"), passphraseFile: pki.path("wrong")) }
        guard case .failure(let e) = wrong else { Issue.record("a wrong passphrase was accepted"); return }
        #expect(e == .cannotDecrypt(pki.path("p.p12")))
        #expect(!e.description.contains("nope"))
        #expect(throws: CertificateError.self) { try Identity.load(pkcs12File: pki.path("p.p12"), passphraseFile: pki.path("missing")) }
        // A key that does not belong to the certificate.
        _ = try pki.issue("q", san: ["q@example.org"])
        #expect(throws: CertificateError.keyMismatch("\(pki.path("q.key")) and \(pki.path("p.pem"))")) {
            try Identity.load(keyFile: pki.path("q.key"), certificateFile: pki.path("p.pem"))
        }
        // An encrypted PEM key with its passphrase, and without.
        try pki.openssl("pkey", "-in", "p.key", "-aes256", "-passout", "pass:s3cret", "-out", "p-enc.key")
        _ = try Identity.load(keyFile: pki.path("p-enc.key"), certificateFile: pki.path("p.pem"), passphrase: Array("s3cret".utf8))
        #expect(throws: CertificateError.cannotDecrypt(pki.path("p-enc.key"))) {
            try Identity.load(keyFile: pki.path("p-enc.key"), certificateFile: pki.path("p.pem"), passphrase: Array("bad".utf8))
        }
    }

    /// Base64 text written in pieces of every size (1 byte to several lines, as
    /// OpenSSL's base64 BIO hands them over) comes out cut into 76-column CRLF lines,
    /// the last one ended by finish(); the same as cutting the whole text at once.
    @Test func base64LinesAreCutAcrossWrites() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for total in [0, 1, 75, 76, 77, 152, 5000, 70_000] {
            let text = (0..<total).map { _ in alphabet[Int.random(in: 0..<64, using: &rng)] }
            var want: [UInt8] = []
            var i = 0
            while i < text.count { want += text[i..<min(i + 76, text.count)] + [13, 10]; i += 76 }
            for maxPiece in [1, 75, 77, 1368, 9000] where total <= 5000 || maxPiece >= 1368 {
                let out = ArraySink()
                let lines = Base64LineSink(out)
                var off = 0
                while off < text.count {
                    let k = min(Int.random(in: 1...maxPiece, using: &rng), text.count - off)
                    try text[off..<(off + k)].withUnsafeBytes { try lines.write($0) }
                    off += k
                }
                try lines.finish()
                #expect(out.bytes == want, "total \(total), pieces up to \(maxPiece)")
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// Adjacent pairs.
    var windows2: [(UInt8, UInt8)] { count < 2 ? [] : (1..<count).map { (self[$0 - 1], self[$0]) } }
}
