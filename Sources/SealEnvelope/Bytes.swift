/// Byte-string helpers shared by the page and reply readers.
enum Bytes {
    /// The first index of `needle` in `hay` (ASCII case-insensitively with `caseless`).
    static func find(_ needle: [UInt8], in hay: [UInt8], caseless: Bool) -> Int? {
        guard !needle.isEmpty, needle.count <= hay.count else { return needle.isEmpty ? 0 : nil }
        func low(_ c: UInt8) -> UInt8 { caseless && c >= 65 && c <= 90 ? c + 32 : c }
        let first = low(needle[0])
        var i = 0
        let last = hay.count - needle.count
        outer: while i <= last {
            if low(hay[i]) != first { i += 1; continue }
            for j in 1..<needle.count where low(hay[i + j]) != low(needle[j]) { i += 1; continue outer }
            return i
        }
        return nil
    }
}
