import SealDetect
import SealMIME
import SealPolicy

/// `remove_attachments: true | {name, extension, type, unscannable}`: drops the
/// selected parts and adds a short text part saying what was removed. With `true`,
/// the parts the rule's own part-picking conditions (`attachment`,
/// `unscannable`) matched. All rules' removals of a message are one transform, the
/// first of the body pipeline (it edits the original by the parser's offsets).
public struct RemoveAttachmentsAction: Action {
    public static let key = "remove_attachments"
    /// nil: the parts the rule's own conditions pick.
    public var selector: PartSelector?

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        guard let d = c.reader.isDefault(value, c.what) else { return nil }
        if d {
            if !c.rulePicksParts {
                c.reader.fail(c.keyNode, "\(c.what): nothing to remove; 'remove_attachments: true' removes the parts matched by the rule's 'attachment' or 'unscannable' condition, and this rule has neither; give a selector such as {extension: [exe]} or {unscannable: any}")
                return nil
            }
            return Self(selector: nil)
        }
        guard let value else { return nil }
        guard let (kinds, matcher) = c.reader.attachment(value, c.what, allowUnscannable: true) else { return nil }
        return Self(selector: PartSelector(unscannable: kinds, attachment: matcher))
    }

    public var needs: Needs { .body }
    public var modifications: Modifications { [.changeBody, .changeHeaders] }
    public var bodyPhase: BodyPhase? { .structure }

    public func apply(_ context: ActionContext) -> Decision? {
        context.outcome.contribution { Removal() }.add(context.rule, selector)
        return nil
    }

    /// The parts to remove, gathered over the rules that applied.
    final class Removal: MessageContribution, BodyTransform {
        private var requests: [(rule: Rule, selector: PartSelector?)] = []
        private var picked: [Int] = []

        func add(_ rule: Rule, _ selector: PartSelector?) { requests.append((rule, selector)) }

        func endOfMessage(_ context: EndOfMessageContext) throws {
            var set = Set<Int>()
            for (rule, sel) in requests { set.formUnion(Self.selected(rule, sel, context.message)) }
            picked = set.sorted()
            if !picked.isEmpty { context.add(self) }
        }

        /// Parts a selector (or, without one, the rule's own part conditions) picks.
        static func selected(_ rule: Rule, _ sel: PartSelector?, _ m: MessageFacts) -> [Int] {
            var out: [Int] = []
            for (i, part) in m.parser.parts.enumerated() where i > 0 || part.isLeaf {
                if let sel {
                    if sel.picks(part: i, in: m) { out.append(i) }
                } else if rule.conditions.contains(where: { $0.picks(part: i, in: m) }) {
                    out.append(i)
                }
            }
            return out
        }

        var phase: BodyPhase { .structure }
        var name: String { RemoveAttachmentsAction.key }

        func transform(_ input: BodyInput, _ context: TransformContext) throws -> BodyOutput? {
            if let by = input.changedBy {
                throw SpoolError(message: "remove_attachments cannot edit a body that \(by) already changed")
            }
            let spool = input.original
            let parser = context.message.parser!
            let partKinds = context.message.partKinds
            // An embedded message's entity goes with its message/rfc822 part.
            var targets = Set<Int>()
            for i in picked {
                var t = i
                while parser.parts[t].delimiterOffset == nil, let p = parser.parts[t].parent, parser.parts[p].kind == .message { t = p }
                targets.insert(t)
            }
            // Drop targets inside other targets.
            let top = targets.filter { i in
                var p = parser.parts[i].parent
                while let q = p { if targets.contains(q) { return false }; p = parser.parts[q].parent }
                return true
            }.sorted()
            let head = spool.prefix(4096)
            let crlf = head.firstIndex(of: 10).map { $0 > 0 && head[$0 - 1] == 13 } ?? true
            let eol = crlf ? "\r\n" : "\n"
            let names = top.map { i -> String in
                let p = parser.parts[i]
                return (p.filename.map { "\"\($0)\"" } ?? p.contentType.mediaType) + (partKinds[i].map { $0.isEmpty ? "" : " (" + $0.headerValue + ")" } ?? "")
            }
            let notice = "Sealmilter removed " + (top.count == 1 ? "an attachment" : "\(top.count) attachments")
                + " from this message by policy:" + eol + names.map { "  - " + $0 + eol }.joined()
            context.outcome.removedParts = top.map { parser.parts[$0].path }

            if top.contains(0) || top.contains(where: { parser.parts[$0].delimiterOffset == nil }) {
                // The whole body goes: replace it with the notice.
                let edits = [
                    HeaderEdit(operation: .change, name: "Content-Type", value: "text/plain; charset=utf-8", index: 1),
                    HeaderEdit(operation: .change, name: "Content-Transfer-Encoding", value: "8bit", index: 1),
                ]
                return BodyOutput(body: SpoolSegments(spool: spool, segments: [.insert(Array(notice.utf8))]), headerEdits: edits)
            }
            var segments: [SpoolSegments.Segment] = []
            var pos: Int64 = 0
            var noticed = false
            for i in top {
                let part = parser.parts[i]
                let start = part.delimiterOffset!
                let end = part.endOffset >= 0 ? part.endOffset : spool.size
                if start > pos { segments.append(.copy(from: pos, to: start)) }
                if !noticed, let parent = part.parent, let b = parser.parts[parent].contentType.parameters["boundary"] {
                    let text = eol + "--" + b + eol + "Content-Type: text/plain; charset=utf-8" + eol
                        + "Content-Transfer-Encoding: 8bit" + eol + "Content-Disposition: inline" + eol + eol + notice
                    segments.append(.insert(Array(text.utf8)))
                    noticed = true
                }
                pos = max(pos, end)
            }
            if pos < spool.size { segments.append(.copy(from: pos, to: spool.size)) }
            return BodyOutput(body: SpoolSegments(spool: spool, segments: segments))
        }
    }
}

/// Which parts `remove_attachments` drops: a part goes when it has any of the
/// `unscannable` kinds, or when `attachment` matches its filename or media type.
/// nil fields select nothing; the loader never produces a selector with both nil.
public struct PartSelector: Sendable {
    public var unscannable: UnscannableSet?
    public var attachment: AttachmentMatcher?
    public init(unscannable: UnscannableSet? = nil, attachment: AttachmentMatcher? = nil) {
        self.unscannable = unscannable; self.attachment = attachment
    }

    func picks(part i: Int, in m: MessageFacts) -> Bool {
        let part = m.parser.parts[i]
        let kinds = m.partKinds[i] ?? []
        if let u = unscannable, !kinds.isEmpty, u.isEmpty || !kinds.intersection(u).isEmpty { return true }
        if let a = attachment, part.isLeaf, a.matches(filename: part.filename, mediaType: part.contentType.mediaType) { return true }
        return false
    }
}
