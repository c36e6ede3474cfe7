/// How sure a detector is that a match is what it looks like, as hosted suites name it:
/// `low` (the shape only), `medium` (the shape and a checksum), `high` (and a supporting
/// keyword nearby). A condition asks for a level and counts matches at that level or above.
public enum Confidence: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case low = 1, medium = 2, high = 3

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The next level up (high stays high): what a supporting keyword adds.
    public var raised: Confidence { Confidence(rawValue: min(rawValue + 1, 3))! }

    public var description: String {
        switch self { case .low: "low"; case .medium: "medium"; case .high: "high" }
    }

    /// Reads `low`, `medium` or `high`.
    public init?(name: String) {
        guard let c = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = c
    }
}
