#if canImport(SealCrypto)
import SealCrypto
#endif

/// Passcodes: generated ones (what a person can type, 100 bits) and the
/// normalisation both sides apply before PBKDF2.
public enum Passcode {
    /// 32 characters with no 0/O and no 1/I, so none is mistaken for another:
    /// each stands for 5 bits.
    public static let alphabet = Array("23456789ABCDEFGHJKLMNPQRSTUVWXYZ")
    /// Characters and groups of a generated passcode (4 × 5 = 20 characters, 100 bits).
    public static let groups = 4, groupLength = 5
    public static var entropyBits: Int { groups * groupLength * 5 }

    /// A fresh passcode `XXXXX-XXXXX-XXXXX-XXXXX` from OpenSSL's CSPRNG, each
    /// character uniform over ``alphabet`` (a random byte's low 5 bits: 256 is a
    /// multiple of 32, so no bias).
    public static func generate() throws(CryptoError) -> String {
        let r = try SealCrypto.randomBytes(groups * groupLength)
        var s = ""
        for (i, b) in r.enumerated() {
            if i > 0 && i % groupLength == 0 { s.append("-") }
            s.append(alphabet[Int(b & 31)])
        }
        return s
    }

    /// ASCII letters to upper case; spaces, tabs and `-` removed; nothing else changes.
    public static func normalise(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            if c == " " || c == "\t" || c == "-" { continue }
            if c.value >= 0x61 && c.value <= 0x7a { out.append(Unicode.Scalar(c.value - 32)!) } else { out.append(c) }
        }
        return String(out)
    }
}
