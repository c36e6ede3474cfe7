import Foundation

/// A policy file that cannot be used: where, and what is wrong.
public struct PolicyError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var message: String
    public init(file: String, line: Int? = nil, column: Int? = nil, message: String) {
        self.file = file; self.line = line; self.column = column; self.message = message
    }
    /// `file:line:column: message`, as compilers print it.
    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s + ": " + message
    }
}

extension Policy {
    /// Loads and validates a policy file.
    public static func load(path: String) throws(PolicyError) -> Policy {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PolicyError(file: path, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PolicyError(file: path, message: "not UTF-8 text")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses and validates policy text. `file` names it in errors.
    public static func parse(yaml: String, file: String = "<policy>") throws(PolicyError) -> Policy {
        var p = Policy()  // TODO(policy): the YAML loader
        p.source = file
        return p
    }
}
