/// Generators of hostile YAML documents (issue 8, points 2 and 3). They are built at
/// run time; none is committed.
enum Hostile {
    /// `n` nested flow sequences: `[[[[...]]]]` (5000 levels is 10 KB).
    static func nestedLists(_ n: Int) -> String {
        String(repeating: "[", count: n) + String(repeating: "]", count: n) + "\n"
    }

    /// `n` nested flow mappings: `{a: {a: {a: ...}}}`.
    static func nestedMappings(_ n: Int) -> String {
        String(repeating: "{a: ", count: n) + "x" + String(repeating: "}", count: n) + "\n"
    }

    /// `n` nested block mappings, indented by one space per level.
    static func nestedBlockMappings(_ n: Int) -> String {
        (0..<n).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x\n"
    }

    /// One anchored scalar of `size` bytes, aliased `copies` times in a flow list
    /// (20 KB × 300,000: 0.9 MB of text that stands for 6 GB).
    static func bigScalarAliased(size: Int = 20_000, copies: Int = 300_000) -> String {
        "big: &a " + String(repeating: "x", count: size) + "\nlist: [" +
            Array(repeating: "*a", count: copies).joined(separator: ",") + "]\n"
    }

    /// One anchored list of short items of about `size` bytes, aliased `copies` times.
    static func bigListAliased(size: Int = 20_000, copies: Int = 300_000) -> String {
        let items = (0..<(size / 12)).map { "d\($0).example" }
        return "big: &a [" + items.joined(separator: ", ") + "]\nlist: [" +
            Array(repeating: "*a", count: copies).joined(separator: ",") + "]\n"
    }

    /// "Billion laughs": `levels` lists of ten aliases of the previous one.
    static func billionLaughs(levels: Int = 9) -> String {
        var s = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...levels {
            s += "l\(i): &l\(i) [" + Array(repeating: "*l\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        return s
    }

    /// A policy with one rule and `copies` aliases of it in the rule list.
    static func aliasedRules(_ copies: Int) -> String {
        "rules:\n  - &r {name: r, when: {subject: {contains: [invoice]}}, actions: [discard]}\n"
            + String(repeating: "  - *r\n", count: copies)
    }
}
