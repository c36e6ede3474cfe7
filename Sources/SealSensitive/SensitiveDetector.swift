import SealPattern

/// What a detector looks for: one of the built-in sensitive information types, or a
/// policy's own regular expression (`sensitive_types:`).
public enum SensitiveKind: Sendable, Hashable {
    case creditCard, iban, usSSN, euVAT
    /// A policy's expression (Hyperscan syntax, UTF-8), no validator.
    case custom(pattern: String, caseless: Bool)
}

/// One sensitive information type as a condition uses it: how candidates are found, the
/// supporting keywords and how near they must be, and the confidence of a match.
///
/// Confidence: a built-in type's valid match alone is `medium` (a card passing Luhn in an
/// issuer range, an IBAN passing MOD 97-10, a VAT number passing its country's check), and
/// `high` with a supporting keyword within ``distance`` characters; a US SSN (no check
/// digit) and a VAT number of a format-only country are `low` alone and `medium` with a
/// keyword; a custom type is its policy's `confidence` alone (default `low`) and one level
/// higher with a keyword.
public struct SensitiveDetector: Sendable {
    /// The type's name: `credit_card`, `iban`, `us_ssn`, `eu_vat`, or a custom type's.
    public let name: String
    public let kind: SensitiveKind
    /// Supporting keywords (case-insensitive, whole words where they begin or end with one).
    public var keywords: [String]
    /// How far from a match a keyword may be, in bytes of the decoded text.
    public var distance: Int
    /// The confidence of a valid match without a keyword (custom types; built-ins: see above).
    public var baseConfidence: Confidence

    public init(name: String, kind: SensitiveKind, keywords: [String], distance: Int = SensitiveDetector.defaultDistance,
                baseConfidence: Confidence = .low) {
        self.name = name; self.kind = kind; self.keywords = keywords; self.distance = distance
        self.baseConfidence = baseConfidence
    }

    /// Keywords count within 300 characters of a match unless the policy says otherwise
    /// (the proximity hosted suites use).
    public static let defaultDistance = 300

    /// The built-in types' names.
    public static let builtinNames = ["credit_card", "iban", "us_ssn", "eu_vat"]

    /// A built-in type by name, with its default keywords.
    public static func builtin(_ name: String) -> SensitiveDetector? {
        switch name {
        case "credit_card":
            return SensitiveDetector(name: name, kind: .creditCard, keywords: [
                "credit card", "card number", "card no", "card", "cardholder", "visa", "mastercard", "master card",
                "amex", "american express", "discover", "jcb", "diners", "unionpay", "maestro", "expiry",
                "expiration", "exp date", "valid thru", "valid through", "cvv", "cvc", "cvv2", "security code",
                "kreditkarte", "karte", "carte bancaire", "carte de crédit", "tarjeta", "carta di credito",
            ], baseConfidence: .medium)
        case "iban":
            return SensitiveDetector(name: name, kind: .iban, keywords: [
                "iban", "bank account", "account number", "account no", "bic", "swift", "bank details",
                "kontonummer", "bankverbindung", "konto", "rib", "compte", "cuenta", "conto",
            ], baseConfidence: .medium)
        case "us_ssn":
            return SensitiveDetector(name: name, kind: .usSSN, keywords: [
                "ssn", "ssn#", "ss#", "social security", "social security number", "social security no",
                "soc sec", "ssa number", "ssid",
            ], baseConfidence: .low)
        case "eu_vat":
            return SensitiveDetector(name: name, kind: .euVAT, keywords: [
                "vat", "vat number", "vat no", "vat id", "vat reg", "tax id", "tax number", "ust-idnr",
                "ust-id", "umsatzsteuer", "mwst", "tva", "iva", "btw", "partita iva", "nif", "cif", "moms",
                "alv", "dph", "áfa", "pdv", "pvm", "pvn", "ddv", "tvsh", "fpa",
            ], baseConfidence: .medium)
        default:
            return nil
        }
    }

    // MARK: Expressions

    /// The candidate expressions (local ids `0..<n`): the shapes, found in linear time and
    /// validated afterwards. Built-in types are found by the end of a short, fixed-length
    /// expression or of a digit run (the number is read in Swift: no start-of-match
    /// tracking, which costs Hyperscan scan time); custom types with their leftmost start.
    /// Word boundaries at the start are checked in Swift: a `\b` before a character class
    /// made the shared scan four times slower (measured with `sealbench --mode detectors`).
    func candidateExpressions() -> [(String, PatternFlags)] {
        switch kind {
        case .creditCard:
            return [(Self.cardExpression, [])]
        case .usSSN:
            return [("[0-9]{3}[ \\-][0-9]{2}[ \\-][0-9]{4}", [])]
        case .iban:
            return [(Self.countryDigitExpression, [])]
        case .euVAT:
            return VAT.triggers.map { ($0, []) }
        case let .custom(pattern, caseless):
            if pattern.isEmpty { return [] }  // an unknown type (refused at load) finds nothing
            var f: PatternFlags = [.utf8, .somLeftmost]
            if caseless { f.insert(.caseless) }
            return [(pattern, f)]
        }
    }

    /// The IBAN detector's candidate, shared with the VAT detector: two capitals (a country),
    /// an optional space and a digit. One class-led expression for both was the fastest of
    /// those measured over generated, documentation and HTML text together (`sealbench
    /// --mode detectors`, `SEALBENCH_TRY`): the registry's 89 countries as literals were
    /// three times faster on lower-case prose but twice as slow where capitals are common.
    static let countryDigitExpression = "[A-Z]{2} ?[0-9]"

    /// The card detector's candidate: twelve digits or more in groups of four or more
    /// (every issuer's printed grouping: 4-4-4-4, 4-6-5, 4-6-4, or none), single spaces or
    /// dashes between groups, ending where a word ends. The digit run around it is then read
    /// whole (``SensitiveScanner/cards(_:run:_:)``). Letting a separator follow any digit
    /// (`[0-9](?:[ -]?[0-9]){11,18}`) kept the expression awake through ordinary text and
    /// reported every phone and order number: the shared scan ran at half the speed on
    /// digit-rich text (measured with `sealbench --mode detectors`).
    static let cardExpression = "(?:[0-9]{4,}[ \\-]?){2}[0-9]{4,}\\b"
}
