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
