import SealYAML

/// A node of a policy file's YAML tree, with its position.
public typealias PolicyNode = Node

extension PolicyReader {
    /// The composed tree of `yaml` (nil for an empty document), or the syntax or
    /// limit error. SealYAML bounds nesting, alias copies and size while it reads,
    /// so a hostile file is refused with one error before a tree is built.
    static func tree(_ yaml: String, file: String) -> Result<Node?, PolicyError> {
        do {
            return .success(try compose(yaml: yaml))
        } catch {
            return .failure(PolicyReader(file: file).yamlError(error, yaml: yaml))
        }
    }

    func yamlError(_ e: YAMLError, yaml: String) -> PolicyError {
        switch e.kind {
        case .scanner, .parser, .composer:
            var msg = "YAML syntax error: \(e.problem)"
            if let context = e.context { msg += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            if let mark = e.mark, e.problem.contains("cannot start any token"),
               PolicyReader.character(in: yaml, at: mark) == "\t" {
                msg += "; tabs are not allowed for indentation, use spaces"
            }
            return PolicyError(file: file, line: e.mark?.line, column: e.mark?.column, message: msg)
        case .reader, .limit, .memory:
            // Limits: nesting depth, alias copies, document size (SealYAML.Limits).
            return PolicyError(file: file, line: e.mark?.line, column: e.mark?.column, message: "YAML error: \(e.problem)")
        }
    }

    static func character(in text: String, at mark: Mark) -> Character? {
        var lineNo = 1
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if lineNo == mark.line {
                let scalars = line.unicodeScalars
                guard mark.column >= 1, mark.column <= scalars.count else { return nil }
                return Character(scalars[scalars.index(scalars.startIndex, offsetBy: mark.column - 1)])
            }
            lineNo += 1
        }
        return nil
    }

    /// The resolved tag (`str`, `int`, `bool`, `null`, ...) of a node.
    static func tagName(_ node: Node) -> Tag {
        node.tag
    }
}

extension StringProtocol {
    /// The text without leading and trailing blanks (spaces of any width, tabs).
    func trimmingBlanks() -> Substring {
        let blank: (Character) -> Bool = { c in
            c == "\t" || c.unicodeScalars.allSatisfy { $0.properties.generalCategory == .spaceSeparator }
        }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else {
            return Substring()
        }
        return Substring(self[first...last])
    }
}
