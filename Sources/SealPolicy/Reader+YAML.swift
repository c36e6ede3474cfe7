import Yams

/// A node of a policy file's YAML tree, with its position.
public typealias PolicyNode = Node

extension PolicyReader {
    /// The composed tree of `yaml` (nil for an empty document), or the syntax error.
    static func tree(_ yaml: String, file: String) -> Result<Node?, PolicyError> {
        do {
            return .success(try compose(yaml: yaml))
        } catch {
            return .failure(PolicyReader(file: file).yamlError(error, yaml: yaml))
        }
    }

    func yamlError(_ error: any Error, yaml: String) -> PolicyError {
        guard let e = error as? YamlError else {
            return PolicyError(file: file, message: "YAML error: \(error)")
        }
        func make(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> PolicyError {
            var msg = "YAML syntax error: \(problem)"
            if let context { msg += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            if problem.contains("cannot start any token") && PolicyReader.character(in: yaml, at: mark) == "\t" {
                msg += "; tabs are not allowed for indentation, use spaces"
            }
            return PolicyError(file: file, line: mark.line, column: mark.column, message: msg)
        }
        switch e {
        case let .scanner(context, problem, mark, _): return make(problem, context, mark)
        case let .parser(context, problem, mark, _): return make(problem, context, mark)
        case let .composer(context, problem, mark, _): return make(problem, context, mark)
        case let .reader(problem, offset, _, _):
            var line: Int? = nil, column: Int? = nil
            if let offset {
                var l = 1, c = 1
                for ch in yaml.prefix(offset) {
                    if ch == "\n" || ch == "\r\n" { l += 1; c = 1 } else { c += 1 }
                }
                line = l; column = c
            }
            return PolicyError(file: file, line: line, column: column, message: "YAML error: \(problem)")
        default:
            return PolicyError(file: file, message: "YAML error: \(e)")
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
    static func tagName(_ node: Node) -> Tag.Name {
        Resolver.default.resolveTag(of: node)
    }
}
