/// The Luhn (mod 10) check digit scheme (ISO/IEC 7812-1): payment card numbers, Italian
/// and Swedish VAT numbers.
public enum Luhn {
    /// Whether the digits (values 0...9, check digit last) pass the Luhn check.
    public static func isValid<C: Collection>(_ digits: C) -> Bool where C.Element == UInt8 {
        var sum = 0
        var double = false
        for d in digits.reversed() {
            var v = Int(d)
            if double { v *= 2; if v > 9 { v -= 9 } }
            sum += v
            double.toggle()
        }
        return !digits.isEmpty && sum % 10 == 0
    }
}

/// The Luhn check of a number read one digit at a time, from its first digit: which digits
/// are doubled depends on the final length, so both ways are summed and the check is
/// answered for the digits appended so far, in constant time.
struct LuhnSums {
    /// Sums of the digits at even and odd positions (from the first), plain and doubled.
    private var plain = (0, 0), doubled = (0, 0)
    private(set) var count = 0

    @inline(__always) mutating func append(_ d: UInt8) {
        let v = Int(d), w = v * 2 > 9 ? v * 2 - 9 : v * 2
        if count & 1 == 0 { plain.0 += v; doubled.0 += w } else { plain.1 += v; doubled.1 += w }
        count += 1
    }

    /// Whether the digits so far pass the Luhn check: the last one (the check digit) is
    /// not doubled, the one before it is, and so on.
    var isValid: Bool {
        guard count > 0 else { return false }
        // The check digit is at position count - 1; positions of the other parity are doubled.
        let sum = (count - 1) & 1 == 0 ? plain.0 + doubled.1 : plain.1 + doubled.0
        return sum % 10 == 0
    }
}
