import Foundation
import Testing
import SealTestSupport
@testable import SealDetect

@Suite("Labels and message headers")
struct LabelTests {
    @Test func pkcs7MimeSmimeTypes() {
        func label(_ type: String, _ smime: String?) -> UnscannableSet {
            var params: [String: String] = ["name": "smime.p7m"]
            if let smime { params["smime-type"] = smime }
            return Detector.kinds(fromLabel: PartLabel(mediaType: type, parameters: params))
        }
        for type in ["application/pkcs7-mime", "application/x-pkcs7-mime"] {
            #expect(label(type, "enveloped-data") == kinds(.smimeEnveloped))
            #expect(label(type, "Enveloped-Data") == kinds(.smimeEnveloped))
            #expect(label(type, "authEnveloped-data") == kinds(.smimeAuthEnveloped))
            #expect(label(type, "signed-data") == kinds(.smimeOpaqueSigned))
            #expect(label(type, "certs-only") == [])
            #expect(label(type, nil) == [], "no smime-type: the bytes decide")
        }
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "application/pkcs7-signature",
                                                    parameters: ["smime-type": "signed-data"])) == [])
    }

    @Test func pgpAndRightsManagementLabels() {
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "multipart/encrypted",
                                                    parameters: ["protocol": "application/pgp-encrypted"])) == kinds(.pgpMIME))
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "multipart/encrypted")) == kinds(.pgpMIME))
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "application/pgp-encrypted")) == kinds(.pgpMIME))
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "application/pgp-signature")) == [])
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "multipart/signed")) == [])
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "application/x-microsoft-rpmsg-message")) == kinds(.msRightsProtected))
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "application/octet-stream", filename: "message.RPMSG")) == kinds(.msRightsProtected))
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "application/octet-stream", filename: "rpmsg.txt")) == [])
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "text/plain", filename: "notes.txt")) == [])
        #expect(Detector.kinds(fromLabel: PartLabel(mediaType: "application/zip", filename: "a.zip")) == [])
    }

    @Test func messageHeaders() {
        #expect(Detector.kinds(fromMessageHeader: "Content-Class", value: "rpmsg.message") == kinds(.msRightsProtected))
        #expect(Detector.kinds(fromMessageHeader: "content-class", value: " RPMSG.Message \r\n") == kinds(.msRightsProtected))
        #expect(Detector.kinds(fromMessageHeader: "CONTENT-CLASS", value: "rpmsg.message;") == kinds(.msRightsProtected))
        #expect(Detector.kinds(fromMessageHeader: "Content-Class", value: "urn:content-classes:message") == [])
        #expect(Detector.kinds(fromMessageHeader: "X-Content-Class", value: "rpmsg.message") == [])
        #expect(Detector.kinds(fromMessageHeader: "Subject", value: "rpmsg.message") == [])
    }

    @Test func fileExtension() {
        #expect(PartLabel(mediaType: "x/y", filename: "A.Tar.GPG").fileExtension == "gpg")
        #expect(PartLabel(mediaType: "x/y", filename: "noext").fileExtension == nil)
        #expect(PartLabel(mediaType: "x/y", filename: "dot.").fileExtension == nil)
        #expect(PartLabel(mediaType: "x/y").fileExtension == nil)
    }
}

@Suite("Sniffer behaviour")
struct SnifferTests {
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix(state: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    @Test func otherBinaryFormatsAreGivenUpAfterAFewBytes() {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Self.noise(100_000, seed: 1)
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Self.noise(100_000, seed: 2)
        let gzip: [UInt8] = [0x1F, 0x8B, 0x08, 0x00] + Self.noise(100_000, seed: 3)
        for (bytes, what) in [(png, "png"), (jpeg, "jpeg"), (gzip, "gzip")] {
            let out = sniff(bytes, PartLabel(mediaType: "image/png", filename: "x.png"), split: .fixed(1))
            #expect(out.found == [], "\(what)")
            #expect(out.consumed <= 8, "\(what) read \(out.consumed) bytes")
            // Even as octet-stream (where binary OpenPGP is looked for).
            #expect(sniff(bytes, octet, split: .fixed(1)).consumed <= 8, "\(what) as octet-stream")
        }
    }

    @Test func randomDataIsNotFlagged() {
        for seed in UInt64(1)...40 {
            var bytes = Self.noise(20_000, seed: seed)
            // Also with the first byte of each format whose magic is one byte long or absent.
            for first: UInt8 in [bytes[0], 0x30, 0x84, 0x8C, 0xC1, 0xC3, UInt8(ascii: "%")] {
                bytes[0] = first
                for label in [octet, plainText, PartLabel(mediaType: "text/html", filename: "a.html")] {
                    #expect(sniff(bytes, label, split: .random(seed: seed)).found == [], "seed \(seed) first \(first)")
                }
            }
        }
    }

    @Test func textPartsAreReadToMaxBytes() {
        let text = Array(String(repeating: "No secrets here, just text.\n", count: 5000).utf8)
        let all = sniff(text, plainText, split: .fixed(4096))
        #expect(all.found == [] && all.consumed == text.count)
        // An armor line past maxBytes is not seen, and no more than maxBytes are taken.
        let armored = text + Array("-----BEGIN PGP MESSAGE-----\n\njA0ECQMC\n-----END PGP MESSAGE-----\n".utf8)
        let limited = sniff(armored, plainText, split: .fixed(1000), maxBytes: 50_000)
        #expect(limited.found == [] && limited.consumed == 50_000)
        #expect(sniff(armored, plainText, split: .fixed(1000)).found == kinds(.pgpInline))
        // Found: the text need not be read further (only the 1 KiB head, for a PDF header).
        let early = Array("-----BEGIN PGP MESSAGE-----\n".utf8) + text
        #expect(sniff(early, plainText, split: .fixed(64)).consumed <= 1024 + 64)
    }

    @Test func armorVariants() {
        let body = Array("\nhQEMA1234\n=abcd\n-----END PGP MESSAGE-----\n".utf8)
        for (header, want) in [("-----BEGIN PGP MESSAGE-----", kinds(.pgpInline)),
                               ("-----BEGIN PGP MESSAGE, PART 1/2-----", kinds(.pgpInline)),
                               ("-----BEGIN PGP SIGNED MESSAGE-----", []),
                               ("-----BEGIN PGP PUBLIC KEY BLOCK-----", []),
                               ("-----BEGIN PGP SIGNATURE-----", []),
                               ("-----BEGIN PGP MESSAGES", [])] {
            let bytes = Array("Hi,\r\n\r\n".utf8) + Array(header.utf8) + body
            expectKinds(bytes, plainText, want, header)
            // Armor at the very end of the part, cut after the name.
            expectKinds(Array(("x\n" + header).utf8), plainText, header.hasSuffix("-----") ? want : [], "\(header) at end")
        }
        let armor = Array("-----BEGIN PGP MESSAGE-----\n".utf8)
        // Not looked for in non-text parts unless named like armored files.
        expectKinds(armor, PartLabel(mediaType: "application/octet-stream", filename: "a.txt"), [], "octet-stream a.txt")
        // In a non-text part armor is an encrypted file, not an inline block: pgp-mime only.
        expectKinds(armor, PartLabel(mediaType: "application/octet-stream", filename: "a.GPG"), kinds(.pgpMIME), "octet-stream a.GPG")
        expectKinds(armor, PartLabel(mediaType: "text/plain", filename: "a.asc"), kinds(.pgpInline), "text/plain a.asc")
    }

    @Test func sealmilterEnvelopeInFirst4096Bytes() {
        let meta = Array("<meta name=\"sealmilter-envelope\"".utf8) + Array(" content=\"v1\">".utf8)
        let needle = Array("<meta name=\"sealmilter-envelope\"".utf8)
        let head = Array("<!doctype html><html><head><title>Sealed</title>".utf8)
        let html = PartLabel(mediaType: "text/html", parameters: ["charset": "utf-8"])
        expectKinds(head + meta + Array("</head></html>".utf8), html, kinds(.sealmilterEnvelope), "envelope")
        expectKinds(head + meta, PartLabel(mediaType: "application/octet-stream", filename: "sealed.html"),
                    kinds(.sealmilterEnvelope), "named .html")
        expectKinds(head + meta, plainText, [], "text/plain is not an envelope")
        // Ending exactly at byte 4096 counts; starting past it does not.
        let pad = Array(repeating: UInt8(ascii: " "), count: 4096 - needle.count)
        expectKinds(pad + needle + head, html, kinds(.sealmilterEnvelope), "meta ending at 4096")
        expectKinds([UInt8(ascii: " ")] + pad + needle + head, html, [], "meta ending at 4097")
        // Once past the window an HTML part is still read, for PGP armor.
        let long = Array(repeating: UInt8(ascii: "a"), count: 10_000)
        #expect(sniff(long, html, split: .fixed(100)).consumed == long.count)
    }

    @Test func rpmsgPrefix() {
        let magic: [UInt8] = [0x76, 0xE8, 0x04, 0x60, 0xC4, 0x11, 0xE3, 0x86]
        // ULCheck 0xFA0, sizes, then a zlib stream (RFC 1950 header 78 9C).
        let rest: [UInt8] = [0xA0, 0x0F, 0, 0, 0x00, 0x10, 0, 0, 0x20, 0, 0, 0, 0x78, 0x9C] + SnifferTests.noise(5000, seed: 5)
        expectKinds(magic + rest, octet, kinds(.msRightsProtected), "rpmsg bytes")
        expectKinds(magic + rest, PartLabel(mediaType: "application/x-microsoft-rpmsg-message", filename: "message.rpmsg"),
                    kinds(.msRightsProtected), "rpmsg label")
        var wrong = magic
        wrong[7] = 0x87
        expectKinds(wrong + rest, octet, [], "one byte off")
        #expect(sniff(magic + rest, octet, split: .fixed(1)).consumed <= 8)
    }

    @Test func pdfDictionaryContext() {
        func pdf(_ trailer: String) -> [UInt8] {
            Array("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".utf8) + Self.noise(3000, seed: 9)
                + Array("\ntrailer\n\(trailer)\nstartxref\n12\n%%EOF\n".utf8)
        }
        let label = PartLabel(mediaType: "application/pdf")
        expectKinds(pdf("<< /Size 3 /Root 1 0 R /Encrypt 2 0 R >>"), label, kinds(.pdfEncrypted), "reference then >>")
        expectKinds(pdf("<</Size 3/Encrypt 12 0 R/Root 1 0 R>>"), label, kinds(.pdfEncrypted), "no spaces")
        expectKinds(pdf("<< /Encrypt\r\n<< /Filter /Standard /V 5 >> /Size 3 >>"), label, kinds(.pdfEncrypted), "direct dictionary")
        expectKinds(pdf("<< /Size 3 /Root 1 0 R >>"), label, [], "no /Encrypt")
        expectKinds(pdf("<< /EncryptMetadata false /Size 3 >>"), label, [], "/EncryptMetadata")
        expectKinds(pdf("(please /Encrypt this)"), label, [], "in a string")
        expectKinds(pdf("(see /Encrypt 1 0 R here)"), label, [], "reference in a string")
        // At the very end of the data.
        expectKinds(Array("%PDF-1.4\n<< /Encrypt 5 0 R >>".utf8), label, kinds(.pdfEncrypted), "at end")
        expectKinds(Array("%PDF-1.4\n<< /Encrypt 5 0 R".utf8), label, [], "cut short")
        // %PDF- must come within the first 1024 bytes, after text only.
        let text = Array(repeating: UInt8(ascii: "x"), count: 1019)
        expectKinds(text + pdf("<< /Encrypt 2 0 R >>"), octet, kinds(.pdfEncrypted), "header ending at byte 1024")
        expectKinds(text + [0x0A] + pdf("<< /Encrypt 2 0 R >>"), octet, [], "header ending at byte 1025")
        expectKinds([0x00, 0x01] + pdf("<< /Encrypt 2 0 R >>"), octet, [], "binary before the header")
    }

    @Test func textPartIsCheckedForMagicAndArmorAlike() {
        let pdf = Array("%PDF-1.5\n1 0 obj\n<< >>\nendobj\ntrailer\n<< /Root 1 0 R /Encrypt 2 0 R >>\n".utf8)
        let armor = Array("\n-----BEGIN PGP MESSAGE-----\n\nhQEMA\n-----END PGP MESSAGE-----\n".utf8)
        let filler = Array(String(repeating: "filler line\n", count: 700).utf8)
        expectKinds(pdf + filler + armor, plainText, kinds(.pgpInline, .pdfEncrypted), "text part: PDF and armor")
        expectKinds(pdf + filler + armor, octet, kinds(.pdfEncrypted), "octet-stream part: no armor search")
    }

    @Test func oleDirectoryEntryMustBeAligned() {
        // A 512-byte header, then 128-byte directory entries: name (UTF-16LE, 64 bytes),
        // name length in bytes with the terminator (+64), object type (+66, 2 = stream).
        func entry(_ name: String, type: UInt8) -> [UInt8] {
            var e: [UInt8] = Array(name.utf8).flatMap { [$0, UInt8(0)] } + [0, 0]
            let length = e.count
            e += [UInt8](repeating: 0, count: 64 - e.count)
            e += [UInt8(length), 0, type] + [UInt8](repeating: 0xFF, count: 128 - 67)
            return e
        }
        let header: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 504)
        let root = entry("Root Entry", type: 5)
        let label = PartLabel(mediaType: "application/msword")
        expectKinds(header + root + entry("EncryptionInfo", type: 2) + Self.noise(2000, seed: 8), label,
                    kinds(.officeEncrypted), "aligned entry")
        expectKinds(header + [0] + root + entry("EncryptionInfo", type: 2) + Self.noise(2000, seed: 8), label,
                    [], "entry one byte off")
        expectKinds(header + root + entry("EncryptionInfo", type: 2) + Self.noise(2000, seed: 8), octet,
                    kinds(.officeEncrypted), "whatever the label")
        expectKinds(header + root + entry("EncryptedPackage", type: 2), label, [], "other stream names")
        expectKinds(Array(header.dropFirst()) + [0] + root + entry("EncryptionInfo", type: 2), label, [], "not an OLE file")
    }

    @Test func everyPrefixIsHandled() {
        // Truncated samples never trap, and once a prefix is flagged every longer one is too.
        let ber: [UInt8] = [0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
                            0xA0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x31, 0x0D, 0x30, 0x0B, 0x06, 0x09,
                            0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
                            0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01,
                            0xA0, 0x80, 0x24, 0x80, 0x04, 0x02, 0x68, 0x69, 0x00, 0x00]
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 20, 0, 0, 0, 8, 0] + [UInt8](repeating: 0, count: 8)
            + [3, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0] + Array("a".utf8) + [1, 2, 3]
            + [0x50, 0x4B, 0x03, 0x04, 20, 0, 1, 0, 8, 0] + [UInt8](repeating: 0, count: 8)
            + [3, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0] + Array("b".utf8) + [4, 5, 6]
        let pdf = Array("%PDF-1.4\ntrailer << /Encrypt 3 0 R >>\n".utf8)
        for (sample, kind) in [(ber, UnscannableKind.smimeOpaqueSigned), (zip, .zipEncrypted), (pdf, .pdfEncrypted)] {
            var flaggedAt: Int?
            for n in 0...sample.count {
                let got = sniff(Array(sample.prefix(n)), octet, split: .fixed(3)).found
                #expect(got == [] || got == kinds(kind))
                if got != [], flaggedAt == nil { flaggedAt = n }
                if let at = flaggedAt { #expect(got == kinds(kind), "prefix \(n) after flagged at \(at)") }
            }
            #expect(flaggedAt != nil && flaggedAt! < sample.count + 1)
        }
    }

    @Test func emptyFeedsAndFeedsAfterTheEnd() {
        var s = ContentSniffer(label: plainText, maxBytes: 100)
        let armor = Array("-----BEGIN PGP MESSAGE-----\n".utf8)
        s.feed(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(s.wantsMore)
        s.finish()
        #expect(!s.wantsMore && s.found == [])
        armor.withUnsafeBytes { s.feed($0) }
        #expect(s.found == [], "bytes after finish() are ignored")
        var none = ContentSniffer(label: plainText, maxBytes: 0)
        #expect(!none.wantsMore)
        armor.withUnsafeBytes { none.feed($0) }
        none.finish()
        #expect(none.found == [])
    }

    @Test func cmsTruncatedAndLookalikes() {
        let envelopedHead: [UInt8] = [0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03, 0xA0, 0x80, 0x30, 0x80]
        expectKinds(envelopedHead + Self.noise(200, seed: 3), octet, kinds(.smimeEnveloped), "BER enveloped head")
        // Cut before the content tag: not enough to say.
        expectKinds(Array(envelopedHead.prefix(13)), octet, [], "truncated")
        // A data (not enveloped) ContentInfo, and an X.509-like sequence.
        var data = envelopedHead
        data[12] = 0x01
        expectKinds(data + Self.noise(200, seed: 4), octet, [], "id-data")
        expectKinds([0x30, 0x82, 0x01, 0x0A, 0x30, 0x82, 0x01, 0x00] + Self.noise(300, seed: 6), octet, [], "certificate-like")

        // BER SignedData with indefinite lengths everywhere, digestAlgorithms included.
        let signedHead: [UInt8] = [0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
                                   0xA0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01,
                                   0x31, 0x80, 0x30, 0x80, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
                                   0x05, 0x00, 0x00, 0x00, 0x00, 0x00,
                                   0x30, 0x80, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]
        let signerInfos: [UInt8] = [0xA0, 0x03, 0x30, 0x01, 0x00, 0x31, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        expectKinds(signedHead + [0x00, 0x00] + signerInfos, octet, [], "BER detached (end-of-contents after eContentType)")
        expectKinds(signedHead + [0xA0, 0x80, 0x24, 0x80, 0x04, 0x02, 0x68, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00] + signerInfos,
                    octet, kinds(.smimeOpaqueSigned), "BER opaque (eContent present)")
        // The same with definite lengths: encapContentInfo of only the OID is detached.
        let oidData: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]
        let oidSigned: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
        let detachedDER: [UInt8] = [0x30, 0x23] + oidSigned + [0xA0, 0x16, 0x30, 0x14, 0x02, 0x01, 0x01, 0x31, 0x00]
            + [0x30, 0x0B] + oidData + [0x31, 0x00]
        let opaqueDER: [UInt8] = [0x30, 0x29] + oidSigned + [0xA0, 0x1C, 0x30, 0x1A, 0x02, 0x01, 0x01, 0x31, 0x00]
            + [0x30, 0x11] + oidData + [0xA0, 0x04, 0x04, 0x02, 0x68, 0x69] + [0x31, 0x00]
        #expect(detachedDER.count == 2 + 0x23 && opaqueDER.count == 2 + 0x29)
        expectKinds(detachedDER, octet, [], "DER detached")
        expectKinds(opaqueDER, octet, kinds(.smimeOpaqueSigned), "DER opaque")
        // Cut inside digestAlgorithms: undecided, so not flagged.
        expectKinds(Array(signedHead.prefix(30)), octet, [], "truncated SignedData")
    }

    @Test func zipWalkerHandlesDescriptorsAndFallback() {
        // Hand-built local headers: a plain entry with bit 3 and known sizes plus a descriptor
        // with signature, then an encrypted entry.
        func local(flags: UInt16, method: UInt16 = 8, size: UInt32, name: String) -> [UInt8] {
            var h: [UInt8] = [0x50, 0x4B, 0x03, 0x04, 20, 0]
            h += [UInt8(flags & 0xFF), UInt8(flags >> 8), UInt8(method & 0xFF), UInt8(method >> 8)]
            h += [0, 0, 0, 0] + [0, 0, 0, 0]  // time, date, crc
            let s = [UInt8(size & 0xFF), UInt8(size >> 8 & 0xFF), UInt8(size >> 16 & 0xFF), UInt8(size >> 24)]
            h += s + s
            h += [UInt8(name.utf8.count), 0, 0, 0] + Array(name.utf8)
            return h
        }
        let data1 = Self.noise(5000, seed: 11)
        let descriptor: [UInt8] = [0x50, 0x4B, 0x07, 0x08] + [UInt8](repeating: 1, count: 12)
        let plainThenEncrypted = local(flags: 8, size: 5000, name: "a.bin") + data1 + descriptor
            + local(flags: 1, size: 100, name: "b.txt") + Self.noise(100, seed: 12)
        expectKinds(plainThenEncrypted, octet, kinds(.zipEncrypted), "descriptor then encrypted")
        // Descriptor without signature (12 bytes).
        let unsigned = local(flags: 8, size: 5000, name: "a.bin") + data1 + [UInt8](repeating: 2, count: 12)
            + local(flags: 1, size: 100, name: "b.txt") + Self.noise(100, seed: 12)
        expectKinds(unsigned, octet, kinds(.zipEncrypted), "unsigned descriptor then encrypted")
        // Sizes unknown: only a central directory header can tell.
        func central(flags: UInt16, method: UInt16) -> [UInt8] {
            var c: [UInt8] = [0x50, 0x4B, 0x01, 0x02, 20, 3, 20, 0]
            c += [UInt8(flags & 0xFF), UInt8(flags >> 8), UInt8(method & 0xFF), UInt8(method >> 8)]
            c += [UInt8](repeating: 0, count: 16) + [5, 0, 0, 0] + [UInt8](repeating: 0, count: 14) + Array("a.bin".utf8)
            return c
        }
        let unknown = local(flags: 8, size: 0, name: "a.bin") + data1 + descriptor
        expectKinds(unknown + central(flags: 9, method: 8), octet, kinds(.zipEncrypted), "fallback: encrypted central entry")
        expectKinds(unknown + central(flags: 8, method: 99), octet, kinds(.zipEncrypted), "fallback: AES central entry")
        expectKinds(unknown + central(flags: 8, method: 8), octet, [], "fallback: plain central entry")
        expectKinds(unknown + central(flags: 9, method: 0x4242), octet, [], "fallback: implausible central entry")
    }
}

@Suite struct SnifferLimitTests {
    /// The sniffer says when it gave up only because of its byte limit (issue 8, point 5).
    @Test func stoppedAtLimit() {
        let text = PartLabel(mediaType: "text/plain")
        let long = Array(String(repeating: "plain reply text\n", count: 200).utf8)   // 3400 bytes
        for split in [Split.whole, .fixed(7), .random(seed: 3)] {
            // Still looking for armor when the limit came.
            #expect(sniff(long, text, split: split, maxBytes: 2000).stoppedAtLimit, "\(split)")
            // Read to its end within the limit.
            #expect(!sniff(long, text, split: split, maxBytes: 10_000).stoppedAtLimit, "\(split)")
            // Decided (armor found, head checks done at 1 KiB) before the limit.
            let armored = Array("-----BEGIN PGP MESSAGE-----\n".utf8) + long
            #expect(!sniff(armored, text, split: split, maxBytes: 2000).stoppedAtLimit, "\(split)")
        }
        // A part nobody reads past its head is not cut short by the limit.
        let octet = PartLabel(mediaType: "application/octet-stream")
        #expect(!sniff([UInt8](repeating: 0, count: 5000), octet, maxBytes: 1000).stoppedAtLimit)
    }
}
