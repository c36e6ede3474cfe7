/// One validated match of a sensitive information type. Its value never leaves the
/// module unredacted: reports, logs and `sealctl` show ``redacted``.
public struct SensitiveFinding: Sendable, Hashable, CustomStringConvertible {
    /// The type's name (`credit_card`, a custom type's name).
    public let type: String
    /// The value as validated (digits and letters, separators removed): for counting
    /// distinct values; never printed.
    let value: [UInt8]
    /// Where it is in its text part (UTF-8 byte offsets of the decoded text).
    public let range: Range<Int>
    public let confidence: Confidence
    /// What the validator found out (the card issuer, the VAT country), when anything.
    public let detail: String?

    /// The value with all but its last four characters masked (`************1111`; an
    /// IBAN or VAT number keeps its country letters: `DE****************3000`). Values of
    /// eight characters or fewer are masked whole.
    public var redacted: String {
        let keepPrefix = (type == "iban" || type == "eu_vat") && value.count > 8 ? 2 : 0
        let keep = value.count > 8 ? 4 : 0
        var out = [UInt8]()
        for (i, c) in value.enumerated() {
            out.append(i < keepPrefix || i >= value.count - keep ? c : UInt8(ascii: "*"))
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String {
        "\(type) \(redacted) (\(confidence)\(detail.map { ", " + $0 } ?? ""))"
    }
}
