/// Where a node starts in the YAML text: 1-based line and column (the column
/// counts characters, as libyaml does).
public struct Mark: Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public var description: String { "\(line):\(column)" }
}

/// A node's resolved tag: what the scalar means (`str`, `int`, `bool`, `null`,
/// ...), or the tag written explicitly (`!!str 10`, `!custom x`).
public struct Tag: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let str = Tag(rawValue: "tag:yaml.org,2002:str")
    public static let seq = Tag(rawValue: "tag:yaml.org,2002:seq")
    public static let map = Tag(rawValue: "tag:yaml.org,2002:map")
    public static let bool = Tag(rawValue: "tag:yaml.org,2002:bool")
    public static let int = Tag(rawValue: "tag:yaml.org,2002:int")
    public static let float = Tag(rawValue: "tag:yaml.org,2002:float")
    public static let null = Tag(rawValue: "tag:yaml.org,2002:null")
    public static let timestamp = Tag(rawValue: "tag:yaml.org,2002:timestamp")
    public static let merge = Tag(rawValue: "tag:yaml.org,2002:merge")
    public static let value = Tag(rawValue: "tag:yaml.org,2002:value")
}

/// A node of a composed YAML document. An alias is the node its anchor names
/// (the same value, with the anchor's mark).
public enum Node: Sendable {
    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(Sequence)

    /// A scalar: its text as written (after YAML's quoting and folding), its
    /// resolved tag and its style.
    public struct Scalar: Sendable {
        public enum Style: Sendable, Hashable {
            case plain, singleQuoted, doubleQuoted, literal, folded
        }
        public var string: String
        /// The explicit tag, or the tag resolved from the text of a plain scalar
        /// (YAML 1.1 rules, see ``Tag/resolve(plain:)``); quoted and block
        /// scalars are strings.
        public var tag: Tag
        public var style: Style
        public var mark: Mark?

        public init(_ string: String, tag: Tag? = nil, style: Style = .plain, mark: Mark? = nil) {
            self.string = string
            self.tag = tag ?? (style == .plain ? Tag.resolve(plain: string) : .str)
            self.style = style
            self.mark = mark
        }

        /// `true`/`yes`/`on` and `false`/`no`/`off` in any case; nil otherwise.
        public var bool: Bool? { Tag.bool(from: string) }
        /// The whole number written (YAML 1.1 forms: `1_000`, `0x1F`, `0o17`,
        /// `017`, `0b101`, `1:30`); nil when malformed, out of range, or not plain.
        public var int: Int? {
            guard style == .plain else { return nil }
            return Tag.int(from: string)
        }
    }

    /// A mapping: its key/value pairs in file order (duplicates are kept; the
    /// reader of the tree decides what they mean).
    public struct Mapping: Sendable, RandomAccessCollection {
        public typealias Element = (key: Node, value: Node)
        public var pairs: [Element]
        public var tag: Tag
        public var mark: Mark?

        public init(_ pairs: [Element], tag: Tag = .map, mark: Mark? = nil) {
            self.pairs = pairs; self.tag = tag; self.mark = mark
        }
        public var startIndex: Int { pairs.startIndex }
        public var endIndex: Int { pairs.endIndex }
        public subscript(position: Int) -> Element { pairs[position] }

        /// The value of the last key that is the string `key`.
        public subscript(key: String) -> Node? {
            pairs.last { pair in
                if case let .scalar(s) = pair.key, s.tag == .str, s.string == key { return true }
                return false
            }?.value
        }
        public var keys: LazyMapSequence<[Element], Node> { pairs.lazy.map(\.key) }
        public var values: LazyMapSequence<[Element], Node> { pairs.lazy.map(\.value) }
    }

    /// A sequence: its items in file order.
    public struct Sequence: Sendable, RandomAccessCollection {
        public var nodes: [Node]
        public var tag: Tag
        public var mark: Mark?

        public init(_ nodes: [Node], tag: Tag = .seq, mark: Mark? = nil) {
            self.nodes = nodes; self.tag = tag; self.mark = mark
        }
        public var startIndex: Int { nodes.startIndex }
        public var endIndex: Int { nodes.endIndex }
        public subscript(position: Int) -> Node { nodes[position] }
    }
}

extension Node {
    public var scalar: Scalar? {
        if case let .scalar(s) = self { return s }
        return nil
    }
    public var mapping: Mapping? {
        if case let .mapping(m) = self { return m }
        return nil
    }
    public var sequence: Sequence? {
        if case let .sequence(s) = self { return s }
        return nil
    }
    /// Where the node starts in the text.
    public var mark: Mark? {
        switch self {
        case let .scalar(s): return s.mark
        case let .mapping(m): return m.mark
        case let .sequence(s): return s.mark
        }
    }
    /// The resolved tag.
    public var tag: Tag {
        switch self {
        case let .scalar(s): return s.tag
        case let .mapping(m): return m.tag
        case let .sequence(s): return s.tag
        }
    }
    /// A scalar's boolean value (see ``Scalar/bool``).
    public var bool: Bool? { scalar?.bool }
    /// A scalar's whole-number value (see ``Scalar/int``).
    public var int: Int? { scalar?.int }
}
