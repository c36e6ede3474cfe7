import SealPolicy
import SealMIME

/// The openers' state for one message (``MessageOpener``).
struct OpenState {
    /// The openers that want this message (decided after the header section).
    var wanted: [any MessageOpener.Type] = []
    /// Their results, in order.
    var results: [OpenerResult] = []
    /// The opened entity's body (after its header section), when one was opened.
    var body: BodySpool? = nil
    /// Whether the opened entity is delivered, and its marker value.
    var deliver = false
    var marker = ""
    /// Why an entity could not be parsed (it is then not used).
    var failure: String? = nil
}

/// The field that marks a delivered opened entity.
let openedMarkerField = "X-Sealmilter-Decrypted"

extension Session {
    /// After the header section: asks each active opener whether it wants the message.
    func wantsOpening(_ m: Message) -> Bool {
        guard !policy.openers.isEmpty else { return false }
        m.open.wanted = policy.openers.filter { $0.wants(m.facts) }
        return !m.open.wanted.isEmpty
    }

    /// At the end of the message, before the body-stage rules: runs the openers
    /// that wanted the message; the first entity one returns replaces the facts'
    /// content (later openers still add their header edits).
    func runOpeners(_ m: Message) {
        guard !m.open.wanted.isEmpty else { return }
        guard let spool = m.spool, spool.error == nil else {
            m.open.failure = "body not kept" + (m.spool?.error.map { ": " + $0 } ?? "")
            return
        }
        for opener in m.open.wanted {
            var result = opener.open(OpenerInput(message: m.facts, body: spool, queueID: queueID, earlier: m.open.results))
            if let entity = result.opened, m.open.body == nil {
                do {
                    m.open.body = try parseOpened(entity.entity, into: m)
                    m.open.deliver = entity.deliver
                    m.open.marker = entity.marker
                } catch {
                    // The facts may be half-filled from the entity: start over from
                    // the original (its kinds stay, as for any message not opened).
                    m.open.failure = "\(opener.name): opened entity unusable: \(error)"
                    result.logWords.append("\(opener.name)-open=failed")
                    reparseOriginal(m, spool)
                }
            }
            result.opened = nil   // the stream was consumed
            m.open.results.append(result)
        }
    }

    /// Parses an opened entity into the facts; returns its body, spooled (the
    /// parser's offsets apply to it). The header section is held in memory up to
    /// the parser's header limit; past it the entity is refused.
    private func parseOpened(_ entity: any BodySource, into m: Message) throws -> BodySpool {
        m.facts.beginOpened()
        let body = BodySpool(memoryLimit: policy.spool.memoryLimit, directory: policy.spool.directory)
        var pending: [UInt8]? = []
        let headerLimit = policy.limits.maxHeaderBytes * max(1, policy.limits.maxHeaders) + 65536
        while let chunk = try entity.next() {
            chunk.withUnsafeBytes { m.facts.parser.raw($0) }
            if pending == nil {
                chunk.withUnsafeBytes { body.append($0) }
                continue
            }
            pending!.append(contentsOf: chunk)
            if m.facts.parser.parts[0].contentOffset >= 0 {
                let n = Int(m.facts.parser.bodySize)
                pending!.suffix(n).withUnsafeBytes { body.append($0) }
                pending = nil
            } else if pending!.count > headerLimit {
                throw SpoolError(message: "header section longer than \(headerLimit) bytes")
            }
        }
        m.facts.parser.finish()
        if let p = pending, m.facts.parser.bodySize > 0 {
            p.suffix(Int(m.facts.parser.bodySize)).withUnsafeBytes { body.append($0) }
        }
        m.facts.parsingFinished()
        if let e = body.error { throw SpoolError(message: e) }
        return body
    }

    /// An opened entity failed half-way: the facts go back to the original body.
    private func reparseOriginal(_ m: Message, _ spool: BodySpool) {
        m.facts.beginOpened()
        // Feed the outer header's structure fields, then the original body.
        for h in m.facts.headers { m.facts.parser.header(name: h.name, value: h.value) }
        m.facts.parser.endOfHeaders()
        let r = spool.reader()
        while let c = try? r.next() { c.withUnsafeBytes { m.facts.parser.body($0) } }
        m.facts.parser.finish()
        m.facts.parsingFinished()
        m.open.body = nil
    }

    /// The header edits of the openers, and, when the opened entity is delivered
    /// (or a body change was made to it), the outer `Content-*` fields replaced by
    /// the entity's and the marker field.
    func openedEdits(_ m: Message, bodyChanged: Bool) -> [HeaderEdit] {
        var edits: [HeaderEdit] = []
        for r in m.open.results { edits += r.headerEdits }
        if m.open.body != nil && (m.open.deliver || bodyChanged) {
            var counts: [String: Int] = [:]
            var deletes: [HeaderEdit] = []
            for h in m.facts.headers {
                let lower = h.name.lowercased()
                counts[lower, default: 0] += 1
                if lower.hasPrefix("content-") {
                    deletes.append(HeaderEdit(operation: .delete, name: h.name, value: nil, index: counts[lower]!))
                }
            }
            edits += deletes.reversed()
            for h in m.facts.openedHeaders where h.name.lowercased().hasPrefix("content-") {
                edits.append(HeaderEdit(operation: .add, name: h.name, value: h.value, index: 0))
            }
            edits.append(HeaderEdit(operation: .add, name: openedMarkerField, value: m.open.marker, index: 0))
        }
        for r in m.open.results {
            for (name, value) in r.addedHeaders { edits.append(HeaderEdit(operation: .add, name: name, value: value, index: 0)) }
        }
        return edits
    }

    /// The openers' fields for the top of the header section, as `insert` edits at
    /// ``HeaderEdit/topIndex`` and below, in the openers' order (the first on top).
    /// They come after every other header edit of the message.
    func openedInserts(_ m: Message) -> [HeaderEdit] {
        var edits: [HeaderEdit] = []
        for r in m.open.results {
            for (name, value) in r.insertedHeaders {
                edits.append(HeaderEdit(operation: .insert, name: name, value: value, index: HeaderEdit.topIndex + edits.count))
            }
        }
        return edits
    }

    /// The opened entity's body when it is delivered (nil: the original stays).
    func openedBody(_ m: Message) -> (any BodySource)? {
        guard m.open.deliver, let b = m.open.body else { return nil }
        return b.reader()
    }

    /// The openers' words for the log line.
    func openerLog(_ m: Message) -> String {
        var s = ""
        for r in m.open.results { for w in r.logWords { s += " " + w } }
        if m.open.body != nil { s += m.open.deliver ? " opened=delivered" : " opened=scanned" }
        if let f = m.open.failure { s += " open-error=\"\(Self.logSafe(f))\"" }
        return s
    }
}
