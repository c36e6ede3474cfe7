/// Byte signatures and the checks that confirm them. Facts used:
/// - PDF (ISO 32000): `%PDF-` header; an encrypted file's trailer or cross-reference stream
///   dictionary has `/Encrypt` followed by an indirect reference `N G R` or a direct `<<...>>`.
/// - ZIP (PKWARE APPNOTE): local header `PK\3\4` (flags at +6, method at +8, compressed size at
///   +18, name and extra lengths at +26/+28, 30 bytes); central header `PK\1\2` (version needed
///   at +6, flags at +8, method at +10, name length at +28, 46 bytes); general-purpose bit 0 =
///   encrypted, bit 3 = sizes in a data descriptor (`PK\7\8` optional); method 99 = WinZip AES.
/// - OLE/CFB (MS-CFB): magic `D0 CF 11 E0 A1 B1 1A E1`; 128-byte directory entries in sectors
///   after the header, name as UTF-16LE in 64 bytes, name length in bytes (with the
///   terminator) at +64, object type at +66 (2 = stream).
/// - MS-OFFCRYPTO: an encrypted OOXML document is a CFB file with streams `EncryptionInfo`
///   and `EncryptedPackage`.
/// - MS-OXORMMS: the compressed message.rpmsg starts with `76 E8 04 60 C4 11 E3 86`.
enum Sig {
    static let pdfHeader: [UInt8] = Array("%PDF-".utf8)
    static let pdfEncrypt: [UInt8] = Array("/Encrypt".utf8)
    static let zipLocal: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    static let zipCentral: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
    static let ole: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]
    static let rpmsg: [UInt8] = [0x76, 0xE8, 0x04, 0x60, 0xC4, 0x11, 0xE3, 0x86]
    static let oleEncryptionInfo: [UInt8] = Array("EncryptionInfo".utf8).flatMap { [$0, 0] }
    static let pgpArmorMessage: [UInt8] = Array("-----BEGIN PGP MESSAGE".utf8)
    static let envelopeMeta: [UInt8] = Array("<meta name=\"sealmilter-envelope\"".utf8)

    // MARK: PDF

    @inline(__always) static func isPDFWhitespace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 || c == 0x0C || c == 0x00
    }
    @inline(__always) static func isPDFDelimiter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "<"), UInt8(ascii: ">"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"),
             UInt8(ascii: "/"), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// `/Encrypt` as a dictionary key: the name ends there, and its value is a direct
    /// dictionary `<<` or an indirect reference `N G R` followed by another key or `>>`.
    /// Looks at most 120 bytes from the name.
    static func verifyPDFEncrypt(_ r: UnsafeRawBufferPointer, _ idx: Int, _ base: Int, _ atEnd: Bool) -> MatchVerdict {
        let limit = min(r.count, idx + 120)
        let short: MatchVerdict = (atEnd || limit < r.count) ? .noMatch : .needMore
        var j = idx + pdfEncrypt.count
        guard j < limit else { return short }
        // The name token must end here (rules out /EncryptMetadata and the like).
        let first = r[j]
        guard isPDFWhitespace(first) || isPDFDelimiter(first) else { return .noMatch }
        while j < limit && isPDFWhitespace(r[j]) { j += 1 }
        guard j < limit else { return short }
        if r[j] == UInt8(ascii: "<") {
            guard j + 1 < limit else { return short }
            return r[j + 1] == UInt8(ascii: "<") ? .match : .noMatch
        }
        // N G R
        for part in 0..<2 {
            let start = j
            while j < limit && isDigit(r[j]) { j += 1 }
            guard j < limit else { return short }
            guard j > start, j - start <= 10 else { return .noMatch }
            guard isPDFWhitespace(r[j]) else { return .noMatch }
            while j < limit && isPDFWhitespace(r[j]) { j += 1 }
            guard j < limit else { return short }
            _ = part
        }
        guard r[j] == UInt8(ascii: "R") else { return .noMatch }
        j += 1
        // Still inside a dictionary: the next token is another key or the closing `>>`
        // (rules out a string in page content such as `(... /Encrypt 1 0 R ...)`).
        guard j < limit else { return short }
        guard isPDFWhitespace(r[j]) || isPDFDelimiter(r[j]) else { return .noMatch }
        while j < limit && isPDFWhitespace(r[j]) { j += 1 }
        guard j < limit else { return short }
        return (r[j] == UInt8(ascii: "/") || r[j] == UInt8(ascii: ">")) ? .match : .noMatch
    }

    // MARK: ZIP

    static let knownZipMethods: Set<Int> = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 14, 16, 18, 19, 20, 93, 94, 95, 96, 97, 98, 99]

    /// A plausible central directory header whose entry is encrypted (flag bit 0 or AES method 99).
    static func verifyZipCentralEncrypted(_ r: UnsafeRawBufferPointer, _ idx: Int, _ base: Int, _ atEnd: Bool) -> MatchVerdict {
        guard idx + 46 <= r.count else { return atEnd ? .noMatch : .needMore }
        let versionNeeded = r.le16(idx + 6) & 0xFF
        let flags = r.le16(idx + 8)
        let method = r.le16(idx + 10)
        let nameLength = r.le16(idx + 28)
        guard versionNeeded <= 100, nameLength > 0, knownZipMethods.contains(method) else { return .noMatch }
        return (flags & 1 != 0 || method == 99) ? .match : .noMatch
    }

    // MARK: OLE

    /// A directory entry (128-byte aligned, past the header) for a stream named `EncryptionInfo`.
    static func verifyOLEEncryptionInfo(_ r: UnsafeRawBufferPointer, _ idx: Int, _ base: Int, _ atEnd: Bool) -> MatchVerdict {
        let absolute = base + idx
        guard absolute >= 512, absolute % 128 == 0 else { return .noMatch }
        guard idx + 68 <= r.count else { return atEnd ? .noMatch : .needMore }
        let n = oleEncryptionInfo.count
        guard r[idx + n] == 0, r[idx + n + 1] == 0 else { return .noMatch }
        guard r.le16(idx + 64) == n + 2, r[idx + 66] == 2 else { return .noMatch }
        return .match
    }

    // MARK: PGP armor and envelopes

    /// `-----BEGIN PGP MESSAGE-----` or `-----BEGIN PGP MESSAGE, PART x/y-----`.
    static func verifyArmor(_ r: UnsafeRawBufferPointer, _ idx: Int, _ base: Int, _ atEnd: Bool) -> MatchVerdict {
        let j = idx + pgpArmorMessage.count
        guard j < r.count else { return atEnd ? .noMatch : .needMore }
        return (r[j] == UInt8(ascii: "-") || r[j] == UInt8(ascii: ",")) ? .match : .noMatch
    }

    static func verifyAlways(_ r: UnsafeRawBufferPointer, _ idx: Int, _ base: Int, _ atEnd: Bool) -> MatchVerdict {
        .match
    }
}
