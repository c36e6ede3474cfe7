/// United States Social Security numbers, written `AAA-GG-SSSS` or `AAA GG SSSS`.
///
/// The Social Security Administration never issues an area 000, 666 or 900-999, a group
/// 00 or a serial 0000; numbers it published as examples (078-05-1120 from a wallet
/// advertisement, 219-09-9999 from its own pamphlet) are refused too. Unformatted nine-digit
/// runs are not detected (every order number would be a candidate).
public enum SSN {
    /// Whether the nine digits (values 0...9) are a number the SSA may have issued.
    public static func isValid<C: Collection>(_ digits: C) -> Bool where C.Element == UInt8 {
        let d = Array(digits)
        guard d.count == 9, d.allSatisfy({ $0 <= 9 }) else { return false }
        let area = Int(d[0]) * 100 + Int(d[1]) * 10 + Int(d[2])
        let group = Int(d[3]) * 10 + Int(d[4])
        let serial = d[5...].reduce(0) { $0 * 10 + Int($1) }
        if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 { return false }
        if (area, group, serial) == (78, 5, 1120) || (area, group, serial) == (219, 9, 9999) { return false }
        return true
    }
}
