extension UnscannableSet {
    /// Adds one kind.
    mutating func insert(_ kind: UnscannableKind) { formUnion(UnscannableSet(kind)) }
}
