import SealPolicy

/// `add_header: {name: FIELD, value: TEXT}`: adds a header field at the end of the message.
public struct AddHeaderAction: Action {
    public static let key = "add_header"
    public var name: String
    public var value: String

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        let r = c.reader, what = c.what
        guard let value else { r.fail(c.keyNode, "\(c.ruleContext): add_header needs {name: ..., value: ...}"); return nil }
        guard let f = r.fields(value, in: what, allowed: ["name", "value"]) else { return nil }
        guard let nv = f["name"], let vv = f["value"] else {
            if f.rejected { return nil }
            r.fail(value, "\(what): needs both 'name' and 'value'"); return nil
        }
        let name = r.string(nv, "\(what).name")
        if let name, let problem = PolicyReader.fieldNameProblem(name) {
            r.fail(nv, "\(what).name: \(problem)"); return nil
        }
        if let name, name.lowercased().hasPrefix("x-sealmilter-") || name.lowercased() == "x-sealmilter" {
            r.fail(nv, "\(what).name: header names starting with X-Sealmilter- are reserved for the filter itself"); return nil
        }
        guard let name, let text = r.string(vv, "\(what).value") else { return nil }
        if text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7f }) {
            r.fail(vv, "\(what).value: must be one line without control characters"); return nil
        }
        if name.count + 2 + text.utf8.count > 998 {
            r.fail(vv, "\(what).value: too long for a header line (at most 998 bytes)"); return nil
        }
        return Self(name: name, value: text)
    }

    public var modifications: Modifications { .addHeaders }
    public var summary: String { "add_header \(name)" }

    public func apply(_ context: ActionContext) -> Decision? {
        context.outcome.addHeader(name: name, value: value)
        return nil
    }
}
