/// Header fields written back as bytes: for the copies, envelopes and S/MIME entities the
/// filter builds from the fields the MTA passed.
public enum HeaderFields {
    /// `Name: value` lines each ending in `eol`, the value's own folding kept (its line
    /// breaks, CRLF or LF, made `eol`); a value given without its leading space (as MTAs
    /// pass them) gets one. Without the empty line that ends a header section.
    public static func serialize(_ fields: [(name: String, value: String)], eol: [UInt8] = [13, 10]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, value) in fields {
            out += Array(name.utf8)
            out.append(UInt8(ascii: ":"))
            if let f = value.utf8.first, f != 32 && f != 9 { out.append(32) }
            var prevCR = false
            for c in value.utf8 {
                if c == 13 { prevCR = true; continue }
                if c == 10 { out += eol; prevCR = false; continue }
                if prevCR { out.append(13); prevCR = false }
                out.append(c)
            }
            out += eol
        }
        return out
    }
}
