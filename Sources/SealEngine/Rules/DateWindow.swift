import SealPolicy

/// A rule's `active:` window, in UTC: `{from: 2026-12-01, until: 2027-01-31T18:00Z}`.
///
/// Either bound may be left out. A date alone means the start of that day for
/// `from` and the end of that day for `until` (the whole day counts); a time
/// may be given as `THH:MM` or `THH:MM:SS`, followed by `Z` (UTC, also the
/// meaning when nothing follows) or an offset `+HH:MM` / `-HH:MM`, which is
/// converted to UTC. Times are seconds since the epoch; `from` is inclusive,
/// `until` exclusive after the conversion (`until: 2027-01-31` becomes
/// `2027-02-01T00:00:00Z`, exclusive).
public struct DateWindow: Sendable, Equatable {
    /// The first second of the window (nil: no lower bound).
    public var from: Int64?
    /// The first second after the window (nil: no upper bound).
    public var until: Int64?
    /// The bounds as written in the policy, for reports.
    public var fromText: String?
    public var untilText: String?

    public init(from: Int64?, until: Int64?, fromText: String? = nil, untilText: String? = nil) {
        self.from = from; self.until = until; self.fromText = fromText; self.untilText = untilText
    }

    /// Whether `time` (seconds since the epoch) is inside the window.
    public func contains(_ time: Int64) -> Bool {
        if let from, time < from { return false }
        if let until, time >= until { return false }
        return true
    }

    /// `from 2026-12-01 until 2027-01-31T18:00Z`, as written.
    public var description: String {
        var parts: [String] = []
        if let fromText { parts.append("from " + fromText) }
        if let untilText { parts.append("until " + untilText) }
        return parts.joined(separator: " ")
    }

    /// Why `text` is not a date or time this reader accepts, or its value: the
    /// second it starts (`isEnd` false) or the second after it ends (`isEnd` true:
    /// a date alone ends at the end of the day; a time is a point, so the window
    /// ends just there).
    static func parse(_ text: String, isEnd: Bool) -> Result<Int64, DateProblem> {
        let s = Array(text.utf8)
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= s.count else { return nil }
            var n = 0
            for k in 0..<count {
                let c = s[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                n = n * 10 + Int(c - 0x30)
            }
            i += count
            return n
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < s.count, s[i] == c else { return false }
            i += 1
            return true
        }
        let shape = DateProblem("'\(text)' is not a date; write YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z (UTC)")
        guard let y = number(4), expect(0x2D), let m = number(2), expect(0x2D), let d = number(2) else { return .failure(shape) }
        guard (1...12).contains(m) else { return .failure(DateProblem("'\(text)': month \(m) does not exist")) }
        guard y >= 1970 && y <= 9999 else { return .failure(DateProblem("'\(text)': the year must be between 1970 and 9999")) }
        guard d >= 1 && d <= daysIn(month: m, year: y) else {
            return .failure(DateProblem("'\(text)': \(String(format2(y, 4)))-\(format2(m, 2)) has no day \(d)"))
        }
        let day = daysFromCivil(y, m, d)
        if i == s.count { return .success((day + (isEnd ? 1 : 0)) * 86400) }
        guard expect(0x54) || expect(0x74) || expect(0x20) else { return .failure(shape) }
        guard let hh = number(2), expect(0x3A), let mm = number(2) else { return .failure(shape) }
        var ss = 0
        if expect(0x3A) { guard let v = number(2) else { return .failure(shape) }; ss = v }
        guard hh <= 23, mm <= 59, ss <= 59 else {
            return .failure(DateProblem("'\(text)': \(format2(hh, 2)):\(format2(mm, 2)):\(format2(ss, 2)) is not a time of day"))
        }
        var offset = 0
        if i < s.count {
            if expect(0x5A) || expect(0x7A) {
                // Z: UTC.
            } else if i < s.count && (s[i] == 0x2B || s[i] == 0x2D) {
                let sign = s[i] == 0x2D ? -1 : 1
                i += 1
                guard let oh = number(2), let om = (expect(0x3A) ? number(2) : number(2)), oh <= 23, om <= 59 else {
                    return .failure(DateProblem("'\(text)': the offset from UTC must be +HH:MM or -HH:MM"))
                }
                offset = sign * (oh * 3600 + om * 60)
            } else {
                return .failure(shape)
            }
        }
        guard i == s.count else { return .failure(shape) }
        return .success(day * 86400 + Int64(hh * 3600 + mm * 60 + ss - offset))
    }

    static func format2(_ n: Int, _ width: Int) -> String {
        let t = String(n)
        return String(repeating: "0", count: max(0, width - t.count)) + t
    }

    static func daysIn(month m: Int, year y: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// `time` as `YYYY-MM-DDTHH:MM:SSZ` (for reports and `sealctl test --at`).
    public static func format(_ time: Int64) -> String {
        var days = time / 86400, secs = time % 86400
        if secs < 0 { secs += 86400; days -= 1 }
        // Civil from days (inverse of daysFromCivil).
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return "\(format2(Int(y), 4))-\(format2(Int(m), 2))-\(format2(Int(d), 2))T"
            + "\(format2(Int(secs / 3600), 2)):\(format2(Int(secs / 60 % 60), 2)):\(format2(Int(secs % 60), 2))Z"
    }

    /// Parses a point in time as `sealctl test --at` takes it (a date alone is its start).
    public static func parsePoint(_ text: String) -> Int64? {
        if case let .success(t) = parse(text, isEnd: false) { return t }
        return nil
    }
}

/// Why a date of an `active:` window was refused.
struct DateProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

extension PolicyReader {
    /// `active: {from: DATE, until: DATE}` (see ``DateWindow``): errors for a bad
    /// date, an empty window and `from` after `until`.
    func dateWindow(_ node: PolicyNode, _ what: String) -> DateWindow? {
        guard let f = fields(node, in: what, allowed: ["from", "until"]) else { return nil }
        if f.entries.isEmpty {
            if !f.rejected { fail(node, "\(what): give 'from', 'until' or both (dates in UTC such as 2026-12-01 or 2027-01-31T18:00Z)") }
            return nil
        }
        var w = DateWindow(from: nil, until: nil)
        var ok = !f.rejected
        for key in ["from", "until"] {
            guard let v = f[key] else { continue }
            guard let text = string(v, "\(what).\(key)") else { ok = false; continue }
            switch DateWindow.parse(text, isEnd: key == "until") {
            case let .success(t):
                if key == "from" { w.from = t; w.fromText = text } else { w.until = t; w.untilText = text }
            case let .failure(p):
                fail(v, "\(what).\(key): \(p.message)"); ok = false
            }
        }
        guard ok else { return nil }
        if let a = w.from, let b = w.until, a >= b {
            fail(node, "\(what): 'from' (\(w.fromText ?? "")) is not before 'until' (\(w.untilText ?? "")); the rule would never be active")
            return nil
        }
        return w
    }
}
