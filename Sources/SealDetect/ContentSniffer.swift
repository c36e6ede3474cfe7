/// Byte-based detection for one part: fed the part's decoded bytes in chunks of any
/// size, it finds the unscannable kinds whose signatures it sees. It reads only
/// what the format needs: ``wantsMore`` turns false as soon as it has decided.
public struct ContentSniffer: Sendable {
    public private(set) var found: UnscannableSet = []
    /// Whether more decoded bytes could still change ``found``.
    public private(set) var wantsMore: Bool = false

    /// - Parameters:
    ///   - label: the part's declared type and filename.
    ///   - maxBytes: the most decoded bytes it may be fed in all (the policy limit).
    public init(label: PartLabel, maxBytes: Int) {}

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {}

    /// The part ended: decide on what was seen.
    public mutating func finish() {}
}
