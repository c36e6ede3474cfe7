import SealEngine
import SealPolicy

/// A test-only action, defined outside the engine the way a feature module defines
/// its own: `test_stamp: {header: NAME, text: TEXT, seal: BOOL}` adds a header
/// field and appends a line to the body through a body transform (reading the
/// previous transform's output). With `seal: true` its transform runs in the
/// signing phase, so the checker must refuse body changes after it.
struct StampAction: Action {
    static let key = "test_stamp"
    var header: String
    var text: String
    var seal: Bool

    static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        guard let value, let f = c.reader.fields(value, in: c.what, allowed: ["header", "text", "seal"]) else {
            if value == nil { c.reader.fail(c.keyNode, "\(c.what): needs {header: ..., text: ...}") }
            return nil
        }
        guard let hv = f["header"], let tv = f["text"] else {
            c.reader.fail(value, "\(c.what): needs 'header' and 'text'"); return nil
        }
        guard let h = c.reader.text(hv, "\(c.what).header"), let t = c.reader.text(tv, "\(c.what).text") else { return nil }
        var seal = false
        if let sv = f["seal"] { guard let b = c.reader.bool(sv, "\(c.what).seal") else { return nil }; seal = b }
        return Self(header: h, text: t, seal: seal)
    }

    var needs: Needs { .body }
    var modifications: Modifications { [.addHeaders, .changeBody] }
    var bodyPhase: BodyPhase? { seal ? .sign : .content }
    var summary: String { "test_stamp \(header)" }

    func apply(_ context: ActionContext) -> Decision? {
        context.outcome.addHeader(name: header, value: text)
        context.outcome.contribution { Stamp() }.lines.append((text, bodyPhase!))
        return nil
    }

    final class Stamp: MessageContribution, BodyTransform {
        var lines: [(String, BodyPhase)] = []
        var phase: BodyPhase { lines.map(\.1).max() ?? .content }
        var name: String { StampAction.key }

        func endOfMessage(_ context: EndOfMessageContext) throws { context.add(self) }

        func transform(_ input: BodyInput, _ context: TransformContext) throws -> BodyOutput? {
            let out = context.newSpool()
            let source = input.stream()
            while let chunk = try source.next() { chunk.withUnsafeBytes { out.append($0) } }
            for (t, _) in lines { Array((t + "\r\n").utf8).withUnsafeBytes { out.append($0) } }
            if let e = out.error { throw SpoolError(message: e) }
            return BodyOutput(body: out.reader())
        }
    }
}
