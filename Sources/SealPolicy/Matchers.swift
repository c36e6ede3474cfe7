/// A domain pattern: `example.com` (exact) or `*.example.com` (any subdomain, not the domain itself).
public struct DomainPattern: Sendable, Equatable {
    public var pattern: String
    public init(_ pattern: String) { self.pattern = pattern.lowercased() }
    public func matches(domain: String) -> Bool {
        let d = domain.lowercased()
        if pattern.hasPrefix("*.") { return d.hasSuffix(pattern.dropFirst(1)) }
        return d == pattern
    }
}

/// An address pattern: `user@example.com`, `@example.com` / `example.com` (a domain),
/// `*.example.com`, or a glob with `*` such as `*-bounces@*.example.org`. Case-insensitive.
public struct AddressPattern: Sendable, Equatable {
    public var pattern: String
    public init(_ pattern: String) { self.pattern = pattern.lowercased() }
    public func matches(address: String) -> Bool {
        false  // TODO(policy)
    }
}

/// Text conditions: keywords (case-insensitive substrings) and regular expressions.
/// Matches when any keyword or any expression matches.
public struct TextMatcher: @unchecked Sendable {
    public var keywords: [String]
    public var patterns: [String]
    public init(keywords: [String] = [], patterns: [String] = []) throws {
        self.keywords = keywords; self.patterns = patterns
    }
    public func matches(_ text: String) -> Bool { false }  // TODO(policy)
}

/// Attachment conditions: filename globs and extensions (case-insensitive), and media types.
public struct AttachmentMatcher: Sendable {
    public var names: [String]
    public var extensions: [String]
    public var mediaTypes: [String]
    public init(names: [String] = [], extensions: [String] = [], mediaTypes: [String] = []) {
        self.names = names; self.extensions = extensions; self.mediaTypes = mediaTypes
    }
    public func matches(filename: String?, mediaType: String) -> Bool { false }  // TODO(policy)
}
