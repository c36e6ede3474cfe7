import CYAML

/// Bounds the composer enforces while it reads, before any tree is built from
/// hostile input: a policy file is small, hand-written text, and none of these
/// is near what such a file needs.
public struct Limits: Sendable {
    /// Lists and mappings nested inside one another, the root counting as 1.
    /// Deeper input is refused at the first node too deep.
    public var maxDepth = 64
    /// Size of the document in bytes.
    public var maxBytes = 8 << 20
    /// Nodes in the tree (scalars, lists, mappings), the copies that aliases
    /// bring in included.
    public var maxNodes = 250_000
    /// Aliases (`*name`) stand for a copy of the anchored node. The nodes they
    /// copy, all aliases together, may not exceed this many or the number of
    /// nodes written in the document so far, whichever is larger: aliases can
    /// share a list, not multiply the document ("billion laughs").
    public var aliasNodeAllowance = 10_000
    /// The same bound for the scalar text that aliases copy, in bytes, against
    /// the size of the document.
    public var aliasByteAllowance = 1 << 20

    public init() {}
    public static let `default` = Limits()
}

/// Why a YAML text could not be composed.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// libyaml's reader: bytes that are not YAML text (invalid UTF-8, control characters).
        case reader
        /// libyaml's scanner and parser: YAML syntax errors.
        case scanner, parser
        /// The composer: undefined alias, more than one document.
        case composer
        /// A bound of ``Limits`` was passed.
        case limit
        /// libyaml ran out of memory.
        case memory
    }
    /// What libyaml was reading when it found the problem, and where that began.
    public struct Context: Sendable {
        public let text: String
        public let mark: Mark
    }
    public var kind: Kind
    /// libyaml's problem text ("mapping values are not allowed in this context"),
    /// or the composer's own sentence.
    public var problem: String
    /// Where the problem is (nil when it is the document as a whole).
    public var mark: Mark?
    public var context: Context?

    public var description: String {
        var s = problem
        if let context { s += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
        if let mark { s += " at line \(mark.line), column \(mark.column)" }
        return s
    }
}

/// Composes the single YAML document of `yaml` into a tree, enforcing `limits`
/// as it reads libyaml's events. Nil for an empty stream (no document).
public func compose(yaml: String, limits: Limits = .default) throws(YAMLError) -> Node? {
    var text = yaml
    let result: Result<Node?, YAMLError> = text.withUTF8 { bytes in
        Result { () throws(YAMLError) -> Node? in
            var composer = Composer(bytes: bytes, limits: limits)
            return try composer.run()
        }
    }
    return try result.get()
}

/// Reads libyaml's event stream into ``Node``s with an explicit stack (no
/// recursion, so no depth can exhaust the thread's stack).
private struct Composer {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: Limits

    /// A collection being read.
    struct Frame {
        var isMapping: Bool
        var mark: Mark
        var tag: Tag
        var anchor: String?
        /// Items, or keys and values alternating.
        var items: [Node] = []
        /// Nodes and scalar bytes of the subtree so far (alias copies included).
        var nodes = 1
        var bytes = 0
    }
    /// An anchored node and its size, for the aliases that name it.
    struct Anchored {
        var node: Node
        var nodes: Int
        var bytes: Int
    }

    var stack: [Frame] = []
    var anchors: [String: Anchored] = [:]
    var root: Node? = nil
    var documents = 0
    /// Nodes written in the text (an alias counts as one).
    var written = 0
    /// Nodes and scalar bytes that aliases copied.
    var aliasNodes = 0
    var aliasBytes = 0

    init(bytes: UnsafeBufferPointer<UInt8>, limits: Limits) {
        self.bytes = bytes; self.limits = limits
    }

    mutating func run() throws(YAMLError) -> Node? {
        if bytes.count > limits.maxBytes {
            throw YAMLError(kind: .limit, problem: "the document is larger than \(Self.mib(limits.maxBytes)) (\(bytes.count) bytes)")
        }
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        defer { parser.deallocate(); event.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw YAMLError(kind: .memory, problem: "out of memory")
        }
        defer { yaml_parser_delete(parser) }
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(parser, bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!, bytes.count)

        while true {
            guard yaml_parser_parse(parser, event) == 1 else { throw libyamlError(parser.pointee) }
            defer { yaml_event_delete(event) }
            let e = event.pointee
            let mark = Mark(line: Int(e.start_mark.line) + 1, column: Int(e.start_mark.column) + 1)
            switch e.type {
            case YAML_STREAM_END_EVENT:
                return root
            case YAML_DOCUMENT_START_EVENT:
                if documents > 0 {
                    throw YAMLError(kind: .composer, problem: "but found another document", mark: mark,
                                    context: .init(text: "expected a single document in the stream", mark: Mark(line: 1, column: 1)))
                }
                documents += 1
            case YAML_ALIAS_EVENT:
                let name = Self.string(e.data.alias.anchor) ?? ""
                guard let a = anchors[name] else {
                    throw YAMLError(kind: .composer, problem: "found undefined alias", mark: mark)
                }
                try count(mark)
                aliasNodes += a.nodes
                aliasBytes += a.bytes
                if aliasNodes > max(limits.aliasNodeAllowance, written) {
                    throw YAMLError(kind: .limit, problem: "aliases copy too much: with *\(name), aliases repeat more than \(max(limits.aliasNodeAllowance, written)) nodes (the document itself has \(written) so far); an alias may share a list, not multiply the document", mark: mark)
                }
                if aliasBytes > max(limits.aliasByteAllowance, bytes.count) {
                    throw YAMLError(kind: .limit, problem: "aliases copy too much: with *\(name), aliases repeat more than \(max(limits.aliasByteAllowance, bytes.count)) bytes of text (the document itself has \(bytes.count)); an alias may share a list, not multiply the document", mark: mark)
                }
                if written + aliasNodes > limits.maxNodes {
                    throw tooManyNodes(mark)
                }
                add(a.node, nodes: a.nodes, bytes: a.bytes, anchor: nil)
            case YAML_SCALAR_EVENT:
                try count(mark)
                let s = e.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
                let style: Node.Scalar.Style
                switch s.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE: style = .literal
                case YAML_FOLDED_SCALAR_STYLE: style = .folded
                default: style = .plain
                }
                // No tag: a quoted or block scalar is a string, a plain one is resolved.
                let tag: Tag? = s.quoted_implicit != 0 ? .str : Self.string(s.tag).map { Self.explicitTag($0) }
                let node = Node.scalar(.init(value, tag: tag, style: style, mark: mark))
                add(node, nodes: 1, bytes: s.length, anchor: Self.string(s.anchor))
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                try count(mark)
                if stack.count + 1 > limits.maxDepth {
                    throw YAMLError(kind: .limit, problem: "nesting deeper than \(limits.maxDepth) levels (lists and mappings inside one another)", mark: mark)
                }
                let isMapping = e.type == YAML_MAPPING_START_EVENT
                let implicit = isMapping ? e.data.mapping_start.implicit : e.data.sequence_start.implicit
                let tagText = isMapping ? e.data.mapping_start.tag : e.data.sequence_start.tag
                let plain: Tag = isMapping ? .map : .seq
                let tag = implicit != 0 ? nil : Self.string(tagText).map { Self.explicitTag($0, collection: plain) }
                stack.append(Frame(isMapping: isMapping, mark: mark, tag: tag ?? plain,
                                   anchor: Self.string(isMapping ? e.data.mapping_start.anchor : e.data.sequence_start.anchor)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let f = stack.popLast() else { break }
                let node: Node
                if f.isMapping {
                    var pairs: [Node.Mapping.Element] = []
                    pairs.reserveCapacity(f.items.count / 2)
                    var i = 0
                    while i + 1 < f.items.count { pairs.append((f.items[i], f.items[i + 1])); i += 2 }
                    node = .mapping(.init(pairs, tag: f.tag, mark: f.mark))
                } else {
                    node = .sequence(.init(f.items, tag: f.tag, mark: f.mark))
                }
                add(node, nodes: f.nodes, bytes: f.bytes, anchor: f.anchor)
            default:
                break  // stream start, document end
            }
        }
    }

    /// One more node written in the text.
    mutating func count(_ mark: Mark) throws(YAMLError) {
        written += 1
        if written + aliasNodes > limits.maxNodes { throw tooManyNodes(mark) }
    }

    func tooManyNodes(_ mark: Mark) -> YAMLError {
        YAMLError(kind: .limit, problem: "the document has more than \(limits.maxNodes) nodes (values, lists and mappings, the copies made by aliases included)", mark: mark)
    }

    /// A finished node: into the collection being read, or the document's root.
    mutating func add(_ node: Node, nodes: Int, bytes: Int, anchor: String?) {
        if let anchor { anchors[anchor] = Anchored(node: node, nodes: nodes, bytes: bytes) }
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].items.append(node)
            stack[stack.count - 1].nodes += nodes
            stack[stack.count - 1].bytes += bytes
        }
    }

    /// libyaml's error, with its marks made 1-based.
    func libyamlError(_ p: yaml_parser_t) -> YAMLError {
        let problem = p.problem.map { String(cString: $0) } ?? "unknown problem"
        let mark = Mark(line: Int(p.problem_mark.line) + 1, column: Int(p.problem_mark.column) + 1)
        let context = p.context.map {
            YAMLError.Context(text: String(cString: $0),
                              mark: Mark(line: Int(p.context_mark.line) + 1, column: Int(p.context_mark.column) + 1))
        }
        switch p.error {
        case YAML_READER_ERROR:
            return YAMLError(kind: .reader, problem: problem, mark: position(ofByte: Int(p.problem_offset)))
        case YAML_SCANNER_ERROR:
            return YAMLError(kind: .scanner, problem: problem, mark: mark, context: context)
        case YAML_PARSER_ERROR:
            return YAMLError(kind: .parser, problem: problem, mark: mark, context: context)
        case YAML_MEMORY_ERROR:
            return YAMLError(kind: .memory, problem: "out of memory")
        default:
            return YAMLError(kind: .parser, problem: problem, mark: mark, context: context)
        }
    }

    /// Line and column (in characters) of a byte offset; line breaks are LF, CR LF or CR.
    func position(ofByte offset: Int) -> Mark {
        var line = 1, column = 1
        var i = 0
        let end = min(offset, bytes.count)
        while i < end {
            let b = bytes[i]
            if b == 0x0A || (b == 0x0D && (i + 1 >= bytes.count || bytes[i + 1] != 0x0A)) {
                line += 1; column = 1
            } else if b & 0xC0 != 0x80 && b != 0x0D {
                column += 1
            }
            i += 1
        }
        return Mark(line: line, column: column)
    }

    /// An explicit tag; `!` (non-specific) on a scalar means a string.
    static func explicitTag(_ s: String) -> Tag { s == "!" ? .str : Tag(rawValue: s) }
    /// An explicit tag of a collection; `!` (non-specific) means the default.
    static func explicitTag(_ s: String, collection: Tag) -> Tag { s == "!" ? collection : Tag(rawValue: s) }

    static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let p else { return nil }
        var n = 0
        while p[n] != 0 { n += 1 }
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    static func mib(_ n: Int) -> String {
        n % (1 << 20) == 0 ? "\(n >> 20) MiB" : "\(n) bytes"
    }
}
