import Foundation
import Testing
import SealTestSupport
@testable import SealDetect

/// Samples made at test time with the real tools (openssl, gpg, zip, 7z, qpdf,
/// msoffcrypto-tool, python3), each fed in several chunk splits.
@Suite("Real samples")
struct ToolSampleTests {
    static let message = "hello world\r\n" + String(repeating: "a line of ordinary text to sign or encrypt\r\n", count: 80)

    // MARK: S/MIME (CMS)

    @Test func cmsEnvelopedAuthEnvelopedOpaqueAndDetached() throws {
        let d = try Scratch()
        try d.run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                              "-nodes", "-subj", "/CN=sealdetect", "-keyout", "k.pem", "-out", "c.pem", "-days", "2"])
        try d.write("m.txt", Self.message)
        func cms(_ args: [String], _ out: String) throws -> [UInt8] {
            // Options first; a trailing recipient certificate stays last.
            let options = args.filter { $0 != "c.pem" || args.first == "-sign" }
            let recipients = args.first == "-sign" ? [] : args.filter { $0 == "c.pem" }
            try d.run("openssl", ["cms"] + options + ["-in", "m.txt", "-outform", "DER", "-out", out] + recipients)
            return try d.read(out)
        }
        let enveloped = try cms(["-encrypt", "-aes-256-cbc", "c.pem"], "env.der")
        // An RSA recipient too (key transport rather than key agreement).
        try d.run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rsa",
                              "-keyout", "rk.pem", "-out", "rc.pem", "-days", "2"])
        try d.run("openssl", ["cms", "-encrypt", "-aes128", "-in", "m.txt", "-outform", "DER", "-out", "rsa.der", "rc.pem"])
        expectKinds(try d.read("rsa.der"), octet, kinds(.smimeEnveloped), "enveloped for an RSA recipient")
        let envelopedBER = try cms(["-encrypt", "-stream", "-aes-256-cbc", "c.pem"], "envs.der")
        let auth = try cms(["-encrypt", "-aes-256-gcm", "c.pem"], "auth.der")
        let authBER = try cms(["-encrypt", "-stream", "-aes-256-gcm", "c.pem"], "auths.der")
        let sign = ["-sign", "-signer", "c.pem", "-inkey", "k.pem"]
        let opaque = try cms(sign + ["-nodetach"], "opaque.der")
        let opaqueBER = try cms(sign + ["-nodetach", "-stream"], "opaques.der")
        let detached = try cms(sign, "detached.der")
        // Without -nodetach but with -stream and DER output, openssl 3 still embeds the content.
        let signedStream = try cms(sign + ["-stream"], "signeds.der")
        let embedded = try d.run("openssl", ["cms", "-verify", "-noverify", "-inform", "DER", "-in", "signeds.der"])
        #expect(embedded.hasPrefix("hello world"), "the streamed signature carries its content")
        // A detached signature made as for multipart/signed (SMIME output), taken out of the MIME.
        try d.run("openssl", ["cms", "-sign", "-stream", "-signer", "c.pem", "-inkey", "k.pem", "-in", "m.txt",
                              "-outform", "SMIME", "-out", "detached.eml"])
        try d.run("python3", ["-c", """
            import email
            m = email.message_from_binary_file(open('detached.eml', 'rb'))
            parts = [p for p in m.walk() if p.get_content_type() == 'application/pkcs7-signature']
            open('detached-smime.der', 'wb').write(parts[0].get_payload(decode=True))
            """])
        let detachedFromMIME = try d.read("detached-smime.der")
        try d.run("openssl", ["crl2pkcs7", "-nocrl", "-certfile", "c.pem", "-outform", "DER", "-out", "certs.der"])
        let certsOnly = try d.read("certs.der")

        // The streamed forms really are BER with indefinite lengths.
        for ber in [envelopedBER, authBER, opaqueBER, signedStream] { #expect(Array(ber.prefix(2)) == [0x30, 0x80]) }
        for der in [enveloped, auth, opaque, detached] { #expect(der[1] != 0x80) }

        let mislabelled = PartLabel(mediaType: "text/plain", filename: "report.txt")
        let p7mNoType = PartLabel(mediaType: "application/pkcs7-mime", filename: "smime.p7m")
        for (bytes, kind, what) in [(enveloped, UnscannableKind.smimeEnveloped, "enveloped DER"),
                                    (envelopedBER, .smimeEnveloped, "enveloped BER"),
                                    (auth, .smimeAuthEnveloped, "authEnveloped DER"),
                                    (authBER, .smimeAuthEnveloped, "authEnveloped BER"),
                                    (opaque, .smimeOpaqueSigned, "opaque signed DER"),
                                    (opaqueBER, .smimeOpaqueSigned, "opaque signed BER"),
                                    (signedStream, .smimeOpaqueSigned, "streamed signed BER with content")] {
            expectKinds(bytes, octet, kinds(kind), "\(what) as octet-stream")
            expectKinds(bytes, mislabelled, kinds(kind), "\(what) as text/plain report.txt")
            expectKinds(bytes, p7mNoType, kinds(kind), "\(what) as pkcs7-mime without smime-type")
            // Decided from the first bytes: nowhere near the whole part is read.
            #expect(sniff(bytes, octet, split: .fixed(1)).consumed < 200, "\(what) read too far")
        }
        let signature = PartLabel(mediaType: "application/pkcs7-signature", filename: "smime.p7s")
        expectKinds(detached, signature, [], "detached signature DER")
        expectKinds(detachedFromMIME, signature, [], "detached signature from multipart/signed")
        expectKinds(detached, octet, [], "detached signature DER as octet-stream")
        expectKinds(certsOnly, PartLabel(mediaType: "application/pkcs7-mime", parameters: ["smime-type": "certs-only"]),
                    [], "certs-only")
        // The label alone flags opaque signing, whatever the bytes.
        expectKinds(detached, PartLabel(mediaType: "application/pkcs7-mime", parameters: ["smime-type": "signed-data"]),
                    kinds(.smimeOpaqueSigned), "signed-data label")
    }

    // MARK: OpenPGP

    @Test func pgpBinaryAndArmored() throws {
        let d = try Scratch()
        let env = ["GNUPGHOME": d.path("gnupg")]
        try FileManager.default.createDirectory(atPath: d.path("gnupg"), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        defer { _ = try? d.run("gpgconf", ["--kill", "gpg-agent"], env: env) }
        let gpg = ["--batch", "--yes", "--pinentry-mode", "loopback"]
        try d.write("m.txt", Self.message)
        try d.run("gpg", gpg + ["--passphrase", "x", "--symmetric", "-o", "sym.gpg", "m.txt"], env: env)
        try d.run("gpg", gpg + ["--passphrase", "x", "--symmetric", "--armor", "-o", "sym.asc", "m.txt"], env: env)
        try d.run("gpg", gpg + ["--passphrase", "", "--quick-gen-key", "Seal Test <seal@example.org>",
                                "future-default", "default", "1d"], env: env)
        let trust = ["--trust-model", "always", "-r", "seal@example.org"]
        try d.run("gpg", gpg + trust + ["-e", "-o", "pk.gpg", "m.txt"], env: env)
        try d.run("gpg", gpg + trust + ["-e", "--armor", "-o", "pk.asc", "m.txt"], env: env)
        try d.run("gpg", gpg + ["--passphrase", "", "--clearsign", "-o", "clear.asc", "m.txt"], env: env)
        try d.run("gpg", gpg + ["--passphrase", "", "-s", "-o", "signed.gpg", "m.txt"], env: env)
        try d.run("gpg", gpg + ["--armor", "--export", "-o", "pub.asc", "seal@example.org"], env: env)
        try d.run("gpg", gpg + ["--export", "-o", "pub.gpg", "seal@example.org"], env: env)

        let sym = try d.read("sym.gpg"), pk = try d.read("pk.gpg")
        // gpg writes old-format packet headers: SKESK (tag 3) and PKESK (tag 1).
        #expect(sym[0] & 0xC0 == 0x80 && (sym[0] >> 2) & 0x0F == 3)
        #expect(pk[0] & 0xC0 == 0x80 && (pk[0] >> 2) & 0x0F == 1)
        let named = PartLabel(mediaType: "application/x-unknown", filename: "message.pgp")
        for (bytes, what) in [(sym, "symmetric"), (pk, "public-key")] {
            expectKinds(bytes, octet, kinds(.pgpMIME), "binary \(what) as octet-stream")
            expectKinds(bytes, named, kinds(.pgpMIME), "binary \(what) named .pgp")
            #expect(sniff(bytes, octet, split: .fixed(1)).consumed < 32, "binary \(what) read too far")
        }
        // The same packets re-framed with new-format headers (tag byte 0xC0|tag, same one-octet length).
        #expect(sym[0] & 3 == 0 && pk[0] & 3 == 0)
        expectKinds([0xC3] + sym.dropFirst(), octet, kinds(.pgpMIME), "new-format SKESK")
        expectKinds([0xC1] + pk.dropFirst(), octet, kinds(.pgpMIME), "new-format PKESK")
        // Other OpenPGP data is readable or not a message.
        expectKinds(try d.read("signed.gpg"), octet, [], "signed (compressed) message")
        expectKinds(try d.read("pub.gpg"), octet, [], "binary public key")

        let symArmor = try d.read("sym.asc"), pkArmor = try d.read("pk.asc")
        for (bytes, what) in [(symArmor, "symmetric"), (pkArmor, "public-key")] {
            expectKinds(bytes, plainText, kinds(.pgpInline), "armored \(what) in text/plain")
            expectKinds(bytes, PartLabel(mediaType: "application/octet-stream", filename: "msg.asc"),
                        kinds(.pgpMIME), "armored \(what) named .asc")
            // The encrypted part of a PGP/MIME message (RFC 3156 §4, as Thunderbird names it):
            // pgp-mime only, never pgp-inline (inline PGP is a block in a text part).
            expectKinds(bytes, PartLabel(mediaType: "application/octet-stream", parameters: ["name": "encrypted.asc"],
                                         filename: "encrypted.asc"),
                        kinds(.pgpMIME), "armored \(what) in a PGP/MIME octet-stream part")
            // Deep inside a long text part, wherever the chunk edges fall.
            let long = Array(String(repeating: "Some reply text, quoted and unquoted.\n", count: 400).utf8)
            expectKinds(long + bytes + long, PartLabel(mediaType: "text/html"), kinds(.pgpInline),
                        "armored \(what) in the middle of text/html")
        }
        expectKinds(symArmor, octet, [], "armored message in an octet-stream part not named .asc")
        expectKinds(try d.read("pub.asc"), plainText, [], "armored public key block")
        expectKinds(try d.read("clear.asc"), plainText, [], "clearsigned text")
    }

    // MARK: ZIP

    @Test func zipEncryption() throws {
        let d = try Scratch()
        var rng = SplitMix(state: 7)
        // Random bytes as base64 text: barely compressible, so entries keep their size.
        let random = Data((0..<6000).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        try d.write("a.txt", random.base64EncodedString(options: .lineLength76Characters))
        try d.write("b.bin", (0..<20000).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        try d.run("zip", ["-q", "-e", "-P", "pass", "zipcrypto.zip", "a.txt", "b.bin"])
        try d.run("7z", ["a", "-tzip", "-mem=AES256", "-ppass", "aes.zip", "a.txt", "b.bin"])
        try d.run("zip", ["-q", "plain.zip", "a.txt", "b.bin"])
        // A plain first entry, an encrypted second one.
        try d.run("zip", ["-q", "mixed.zip", "b.bin"])
        try d.run("zip", ["-q", "-e", "-P", "pass", "mixed.zip", "a.txt"])
        // A first entry streamed from stdin (ZIP64 sizes unknown in its local header), then an encrypted one.
        try d.sh("cat b.bin | zip -q streamed.zip -")
        try d.run("zip", ["-q", "-e", "-P", "pass", "streamed.zip", "a.txt"])
        // Encrypted, written to a pipe (data descriptors), and a plain archive written by 7z.
        try d.sh("zip -q -e -P pass - a.txt b.bin | cat > piped.zip")
        try d.run("7z", ["a", "-tzip", "plain7z.zip", "a.txt", "b.bin"])
        // Written to a non-seekable stream: every entry has bit 3 and zero sizes.
        try d.run("python3", ["-c", """
            import zipfile
            class W:
                def __init__(s, f): s.f = f
                def write(s, b): return s.f.write(b)
                def flush(s): pass
            with open('descriptor.zip', 'wb') as f:
                z = zipfile.ZipFile(W(f), 'w', zipfile.ZIP_DEFLATED)
                z.writestr('one.txt', 'plain ' * 500)
                z.writestr('two.bin', open('b.bin', 'rb').read())
                z.close()
            """])

        let zipCrypto = try d.read("zipcrypto.zip"), aes = try d.read("aes.zip")
        let mixed = try d.read("mixed.zip"), streamed = try d.read("streamed.zip")
        let plain = try d.read("plain.zip"), descriptor = try d.read("descriptor.zip")
        #expect(aes.count > 10 && aes[8] == 99, "7z AES entry uses method 99")
        #expect(descriptor[6] & 8 != 0 && descriptor.le32(18) == 0, "python wrote bit 3 with zero sizes")
        #expect(streamed.le32(18) == 0xFFFF_FFFF, "stdin entry has ZIP64 sizes")

        let mislabelled = PartLabel(mediaType: "text/plain", filename: "report.txt")
        for (bytes, what) in [(zipCrypto, "ZipCrypto"), (aes, "AES"), (mixed, "plain then encrypted"),
                              (streamed, "streamed then encrypted")] {
            expectKinds(bytes, octet, kinds(.zipEncrypted), "\(what) zip")
            expectKinds(bytes, PartLabel(mediaType: "application/zip", filename: "x.zip"), kinds(.zipEncrypted), "\(what) zip as application/zip")
            expectKinds(bytes, mislabelled, kinds(.zipEncrypted), "\(what) zip as text/plain report.txt")
        }
        let piped = try d.read("piped.zip")
        #expect(piped[6] & 9 == 9, "piped entry: encrypted with a data descriptor")
        expectKinds(piped, octet, kinds(.zipEncrypted), "piped encrypted zip")
        expectKinds(try d.read("plain7z.zip"), octet, [], "plain zip written by 7z")
        expectKinds(plain, octet, [], "plain zip")
        expectKinds(descriptor, octet, [], "plain zip with data descriptors")
        // The walk stops at the first encrypted local header: the first entry's data is skipped,
        // the second entry's is never read.
        #expect(sniff(zipCrypto, octet, split: .fixed(1)).consumed <= 64)
        let mixedRead = sniff(mixed, octet, split: .fixed(7)).consumed
        #expect(mixedRead > 20000 && mixedRead < mixed.count - 1000, "mixed zip read \(mixedRead) of \(mixed.count)")
        // A plain zip is walked to its central directory, not past it.
        #expect(sniff(plain, octet, split: .fixed(7)).consumed < plain.count)
    }

    // MARK: PDF

    @Test func pdfEncryption() throws {
        let d = try Scratch()
        try d.write("make.py", Self.pdfMaker)
        try d.run("python3", ["make.py", "in.pdf"])
        try d.run("qpdf", ["--encrypt", "user", "owner", "256", "--", "in.pdf", "enc.pdf"])
        try d.run("qpdf", ["--object-streams=generate", "--encrypt", "user", "owner", "256", "--", "in.pdf", "encos.pdf"])
        try d.run("qpdf", ["--linearize", "--encrypt", "user", "owner", "256", "--", "in.pdf", "enclin.pdf"])
        try d.run("qpdf", ["--encrypt", "", "owner", "128", "--use-aes=y", "--", "in.pdf", "enc128.pdf"])
        try d.run("qpdf", ["--object-streams=generate", "in.pdf", "plainos.pdf"])

        let plain = try d.read("in.pdf")
        let objectStreams = try d.read("encos.pdf")
        // The object-streams variant has its trailer in a cross-reference stream dictionary.
        #expect(Self.contains(objectStreams, "/XRef") && !Self.contains(objectStreams, "trailer"))
        #expect(Self.contains(plain, "/Encrypt 1 0 R") && Self.contains(plain, "/EncryptMetadata"))

        let pdfLabel = PartLabel(mediaType: "application/pdf", filename: "doc.pdf")
        for name in ["enc.pdf", "encos.pdf", "enclin.pdf", "enc128.pdf"] {
            let bytes = try d.read(name)
            expectKinds(bytes, pdfLabel, kinds(.pdfEncrypted), name)
            expectKinds(bytes, PartLabel(mediaType: "text/plain", filename: "notes.txt"), kinds(.pdfEncrypted), "\(name) as text/plain")
            expectKinds(Array("garbage before the header\r\n".utf8) + bytes, octet, kinds(.pdfEncrypted), "\(name) after junk")
        }
        // The words in page content (a string) are not a dictionary key.
        expectKinds(plain, pdfLabel, [], "unencrypted PDF mentioning /Encrypt in content")
        expectKinds(try d.read("plainos.pdf"), pdfLabel, [], "unencrypted PDF with object streams")
        // An unencrypted PDF is read to its end (the key may be in the last trailer).
        #expect(sniff(plain, pdfLabel, split: .fixed(7)).consumed == plain.count)
    }

    /// A small hand-written PDF whose page content mentions `/Encrypt 1 0 R` and `/EncryptMetadata`.
    static let pdfMaker = """
        import sys
        content = b"BT /F1 12 Tf 20 100 Td (Do not /Encrypt 1 0 R this, nor /EncryptMetadata) Tj ET"
        objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
                b"<< /Length %d >>\\nstream\\n" % len(content) + content + b"\\nendstream",
                b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
        out = bytearray(b"%PDF-1.4\\n%\\xe2\\xe3\\xcf\\xd3\\n")
        offsets = []
        for i, o in enumerate(objs):
            offsets.append(len(out))
            out += b"%d 0 obj\\n" % (i + 1) + o + b"\\nendobj\\n"
        xref = len(out)
        out += b"xref\\n0 %d\\n0000000000 65535 f \\n" % (len(objs) + 1)
        for o in offsets:
            out += b"%010d 00000 n \\n" % o
        out += b"trailer\\n<< /Size %d /Root 1 0 R >>\\nstartxref\\n%d\\n%%%%EOF\\n" % (len(objs) + 1, xref)
        open(sys.argv[1], "wb").write(out)
        """

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        for i in 0...(bytes.count - needle.count) where bytes[i] == needle[0] {
            if Array(bytes[i..<(i + needle.count)]) == needle { return true }
        }
        return false
    }

    // MARK: Office

    @Test func officeEncryption() throws {
        let d = try Scratch()
        try d.run("python3", ["-c", """
            import zipfile
            ct = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
            rels = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
            doc = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\\n<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Hello, sealmilter</w:t></w:r></w:p></w:body></w:document>'
            with zipfile.ZipFile('plain.docx', 'w', zipfile.ZIP_DEFLATED) as z:
                z.writestr('[Content_Types].xml', ct)
                z.writestr('_rels/.rels', rels)
                z.writestr('word/document.xml', doc)
            """])
        try d.run("msoffcrypto-tool", ["-e", "-p", "pass", "plain.docx", "enc.docx"])
        let encrypted = try d.read("enc.docx"), plain = try d.read("plain.docx")
        #expect(Array(encrypted.prefix(8)) == [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])

        let docx = PartLabel(mediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                             filename: "report.docx")
        expectKinds(encrypted, docx, kinds(.officeEncrypted), "password-protected docx")
        expectKinds(encrypted, octet, kinds(.officeEncrypted), "password-protected docx as octet-stream")
        expectKinds(plain, docx, [], "unencrypted docx")

        // The check is on the directory entry: change its name, or its type, and it is gone.
        let name = Array("EncryptionInfo".utf8).flatMap { [$0, UInt8(0)] }
        let at = try #require(Self.find(encrypted, name))
        #expect(at % 128 == 0)
        var renamed = encrypted
        renamed[at + 26] = UInt8(ascii: "X")  // EncryptionInfX
        expectKinds(renamed, docx, [], "OLE file without an EncryptionInfo entry")
        var storage = encrypted
        storage[at + 66] = 1  // a storage, not a stream
        expectKinds(storage, docx, [], "OLE file with an EncryptionInfo storage")
    }

    static func find(_ bytes: [UInt8], _ needle: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for i in 0...(bytes.count - needle.count) where bytes[i] == needle[0] {
            if Array(bytes[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    func le32(_ i: Int) -> Int {
        Int(self[i]) | Int(self[i + 1]) << 8 | Int(self[i + 2]) << 16 | Int(self[i + 3]) << 24
    }
}
