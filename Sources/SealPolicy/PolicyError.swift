/// A policy file that cannot be used: where, and what is wrong.
public struct PolicyError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String
    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file; self.line = line; self.column = column; self.message = message
    }
    /// `file:line:column: message`, as compilers print it.
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s + ": " + message
    }
}

/// Byte sizes in policy files: a number of bytes or a number with `K`, `M` or `G` (powers of 1024).
public enum ByteSize {
    /// `10`, `10K`, `5M`, `1G` (suffix case-insensitive); nil when malformed, negative or too large.
    public static func parse(_ text: String) -> Int? {
        var digits = Substring(text.trimmingBlanks())
        var factor = 1
        switch digits.last {
        case "k", "K": factor = 1 << 10
        case "m", "M": factor = 1 << 20
        case "g", "G": factor = 1 << 30
        default: break
        }
        if factor != 1 { digits.removeLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else { return nil }
        let (r, overflow) = n.multipliedReportingOverflow(by: factor)
        return overflow ? nil : r
    }
}
