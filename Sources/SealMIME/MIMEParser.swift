import Glibc

/// A streaming MIME parser with a push interface.
///
/// Feed it a message the way an MTA hands it over — top-level header fields one by
/// one (``header(name:value:)``, ``endOfHeaders()``), then the body in chunks of any
/// size (``body(_:)``), then ``finish()`` — or a whole raw message in chunks
/// (``raw(_:)``). It builds the part tree (``parts``) as bytes arrive and reports to
/// its ``MIMEHandler``.
///
/// Memory is bounded whatever the message size: the parser keeps the part table
/// (bounded by ``ParserLimits/maxParts``), one header field (bounded by
/// ``ParserLimits/maxHeaderBytes``), a carry of at most one delimiter line's worth
/// of bytes across chunk edges and a fixed decode buffer. It never copies body chunks: content is
/// scanned in place for delimiter lines with `memchr` and handed to the decoder
/// (or, for 7bit/8bit/binary parts, straight to the handler).
///
/// The same bytes split into chunks in any way give the same parts, offsets, sizes
/// and decoded bytes.
public final class MIMEParser {
    public let limits: ParserLimits
    /// Decode every leaf to its end even when the handler stops wanting bytes, so
    /// that ``MIMEPart/decodedSize`` is exact for every leaf (costs the full decode).
    public var decodeAll: Bool
    /// Lowercased names of header fields of embedded messages to hand to the handler
    /// (``MIMEHandler/embeddedHeader(_:index:name:value:)``), e.g. `["message-id"]`;
    /// empty (the default): none. Only the header sections of entities inside
    /// message/rfc822 and message/global parts count, within ``ParserLimits/maxHeaders``
    /// fields per section and ``ParserLimits/maxHeaderBytes`` per field; the parser
    /// keeps nothing of them itself.
    public var embeddedHeaderNames: Set<String> = []
    /// The part tree in document order; the root is index 0.
    public private(set) var parts: [MIMEPart] = []
    /// The limits exceeded so far.
    public private(set) var exceeded: Set<LimitKind> = []
    /// The union of every part's ``MIMEPart/ambiguity``: non-empty when common mail
    /// readers would see another structure than the one parsed.
    public private(set) var ambiguities: Ambiguity = []
    /// Whether some part's content was not inspected because of a limit (some part
    /// has ``MIMEPart/uninspected`` set).
    public private(set) var hasUninspectedParts = false
    /// Body bytes seen (after the top-level header section).
    public var bodySize: Int64 { inTopHeaders ? 0 : streamPos - bodyStart }

    private unowned let handler: MIMEHandler

    // MARK: State

    private struct Frame {
        var part: Int
        /// "--" + boundary for multiparts; empty for an embedded message.
        var delimiter: [UInt8]
        var closed = false
    }
    private enum Mode { case headers, content, skipLine }
    private enum AfterSkip { case headers, content }

    private var frames: [Frame] = []
    /// Longest delimiter among open multipart frames (0: no boundary to look for).
    private var maxDelimiter = 0
    private var mode: Mode = .headers
    private var afterSkip: AfterSkip = .content
    /// The part whose header section is being read.
    private var headerPart = 0
    /// The leaf receiving content, or -1 (preamble, epilogue).
    private var leaf = -1
    /// Whether the byte before the next one to process was a line feed.
    private var atLineStart = true
    /// Input-stream offset of byte 0 of the buffer being processed.
    private var bufferBase: Int64 = 0
    /// Input-stream offset of the next chunk's first byte.
    private var streamPos: Int64 = 0
    /// Input-stream offset of the first body byte (after the top-level headers).
    private var bodyStart: Int64 = 0
    /// Raw mode: still in the top-level header section.
    private var inTopHeaders = false
    private var rawLinesSeen = 0
    private var finished = false

    // Header section
    private var line: [UInt8] = []
    private var lineOffset: Int64 = 0
    private var field: [UInt8] = []
    private var fieldsInSection = 0
    private var lastHeaderLineLength = 0
    /// The line in `line` lost bytes to ``ParserLimits/maxHeaderBytes``.
    private var lineTruncated = false
    /// The field in `field` lost bytes to ``ParserLimits/maxHeaderBytes``.
    private var fieldTruncated = false

    /// Length of the line break (1: LF, 2: CRLF) ending a header-section line that
    /// was re-fed as content, not yet known to be content (0: none).
    private var pendingBreak = 0

    // Carry across chunk edges (an undecided delimiter candidate)
    private var carry: [UInt8] = []
    private var carryBase: Int64 = 0

    // Current leaf decoding
    private enum Decoder { case identity, base64(Base64Decoder), qp(QuotedPrintableDecoder) }
    private var decoder: Decoder = .identity
    private var decoding = false
    private var delivering = false
    private var delivered = 0
    private let scratchSize = 64 * 1024
    private let scratch: UnsafeMutablePointer<UInt8>

    public init(limits: ParserLimits = ParserLimits(), decodeAll: Bool = false, handler: MIMEHandler) {
        self.limits = limits
        self.decodeAll = decodeAll
        self.handler = handler
        self.scratch = .allocate(capacity: scratchSize + 16)
        line.reserveCapacity(256)
        field.reserveCapacity(256)
        parts.append(MIMEPart(parent: nil, path: "1", depth: 0, kind: .leaf, contentType: .textPlain,
                              hasExplicitContentType: false, transferEncoding: .sevenBit, disposition: nil,
                              filename: nil, delimiterOffset: nil, headerOffset: 0))
    }

    deinit { scratch.deallocate() }

    // MARK: Input

    /// A top-level header field as the MTA passes it (folded values allowed).
    /// Past ``ParserLimits/maxHeaders`` fields the limit is reported, and structure
    /// fields (`Content-Type`, `Content-Transfer-Encoding`, `Content-Disposition`) are
    /// still applied, so that extra fields cannot hide the structure.
    public func header(name: String, value: String) {
        fieldsInSection += 1
        if fieldsInSection > limits.maxHeaders { exceed(.headers) }
        var v = value
        var truncated = false
        if name.utf8.count + value.utf8.count + 2 > limits.maxHeaderBytes {
            exceed(.headerBytes)
            truncated = true
            v = String(decoding: value.utf8.prefix(max(0, limits.maxHeaderBytes - name.utf8.count - 2)), as: UTF8.self)
        }
        if apply(name: name.lowercased(), value: unfold(Array(v.utf8)), to: 0) && truncated {
            markUninspected(0, .headerBytes)
        }
    }

    /// The top-level header section is complete.
    public func endOfHeaders() {
        guard !finished else { return }
        bodyStart = streamPos
        fieldsInSection = 0   // the count is per header section (an embedded message's starts now)
        beginContent(of: 0, at: 0)
    }

    /// A body chunk (after ``endOfHeaders()``).
    public func body(_ chunk: UnsafeRawBufferPointer) {
        guard !finished, chunk.count > 0 else { return }
        feed(chunk)
    }

    /// A chunk of a whole raw message: the top-level header section, then the body.
    public func raw(_ chunk: UnsafeRawBufferPointer) {
        guard !finished, chunk.count > 0 else { return }
        if parts[0].contentOffset < 0 && !inTopHeaders && frames.isEmpty && leaf < 0 {
            inTopHeaders = true
            mode = .headers
            headerPart = 0
        }
        feed(chunk)
    }

    /// The message ended: undecided bytes are settled, open parts are closed.
    public func finish() {
        guard !finished else { return }
        if !carry.isEmpty {
            let c = carry
            carry.removeAll()
            c.withUnsafeBytes { _ = process($0, base: carryBase, final: true) }
        }
        // The input ended on a delimiter line: it ends there (the part it opened
        // gets an empty header section below).
        if mode == .skipLine { afterDelimiterLine(at: rel(streamPos)) }
        if mode == .headers {
            if !line.isEmpty { headerLineComplete(final: true) }
            // That last line may have been a delimiter (after another one: re-fed as
            // content, it opened a new part); the input ends on it.
            if mode == .skipLine { afterDelimiterLine(at: rel(streamPos)) }
            // All input went into the header section. Ending it may open an embedded
            // message's header section at the same (final) offset: end that too.
            while mode == .headers {
                flushField()
                endHeaderSection(at: streamPos)
            }
        }
        let end = rel(streamPos)
        if pendingBreak != 0 { flushPendingBreak() }
        endLeaf(at: end)
        while !frames.isEmpty { popFrame(at: end) }
        finished = true
    }

    // MARK: Chunk processing

    private func feed(_ chunk: UnsafeRawBufferPointer) {
        let chunkBase = streamPos
        defer { streamPos += Int64(chunk.count) }
        var start = 0
        if !carry.isEmpty {
            let old = carry.count
            let take = min(chunk.count, maxDelimiter + MIMEParser.maxDelimiterPadding + 8)
            carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<take]))
            let base = carryBase
            let consumed = carry.withUnsafeBytes { process($0, base: base, final: false) }
            if consumed >= old {
                start = consumed - old
                carry.removeAll(keepingCapacity: true)
            } else {
                // Still undecided: only possible when the whole chunk fit in `take`.
                carry.removeFirst(consumed)
                carryBase += Int64(consumed)
                if take < chunk.count {
                    carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[take...]))
                }
                return
            }
        }
        let rest = UnsafeRawBufferPointer(rebasing: chunk[start...])
        let base = chunkBase + Int64(start)
        let consumed = process(rest, base: base, final: false)
        if consumed < rest.count {
            carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[consumed...]))
            carryBase = base + Int64(consumed)
        }
    }

    /// A body offset from an input-stream offset.
    @inline(__always) private func rel(_ streamOffset: Int64) -> Int64 { streamOffset - bodyStart }

    /// Runs the state machine over `buf`; returns how many bytes were consumed
    /// (the rest is an undecided delimiter candidate to carry).
    private func process(_ buf: UnsafeRawBufferPointer, base: Int64, final: Bool) -> Int {
        guard let p = buf.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        let n = buf.count
        bufferBase = base
        var i = 0
        while i < n {
            switch mode {
            case .headers:
                i = consumeHeaders(p, n, i)
            case .skipLine:
                if let lf = memchr(p + i, 10, n - i) {
                    i = UnsafeRawPointer(lf).assumingMemoryBound(to: UInt8.self) - p + 1
                    atLineStart = true
                    afterDelimiterLine(at: rel(base + Int64(i)))
                } else {
                    i = n
                    atLineStart = false
                }
            case .content:
                let stop = consumeContent(p, n, i, final: final)
                if mode == .content && stop < n { return stop }  // undecided candidate
                i = stop
            }
        }
        return n
    }

    // MARK: Header sections

    private func consumeHeaders(_ p: UnsafePointer<UInt8>, _ n: Int, _ i0: Int) -> Int {
        var i = i0
        while i < n && mode == .headers {
            if line.isEmpty { lineOffset = bufferBase + Int64(i) }
            let lf = memchr(p + i, 10, n - i)
            let end = lf.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) - p + 1 } ?? n
            let room = limits.maxHeaderBytes + 2 - line.count
            if room > 0 { line.append(contentsOf: UnsafeBufferPointer(start: p + i, count: min(room, end - i))) }
            if end - i > room {
                if overlongLineIsContent() {
                    // A non-header line ends the section whatever its length: it is
                    // content and must not be truncated. The rest follows as content.
                    i += max(room, 0)
                    if startsWithTopBOM() { line.removeFirst(3); lineOffset += 3 }
                    rawLinesSeen += 1
                    flushField()
                    reinjectLine(endingHeaders: true)
                    continue
                }
                exceed(.headerBytes)
                lineTruncated = true
            }
            i = end
            if lf != nil { headerLineComplete(final: false) }
        }
        return i
    }

    private func headerLineComplete(final: Bool) {
        rawLinesSeen += 1
        let truncatedLine = lineTruncated
        lineTruncated = false
        var len = line.count
        while len > 0 && (line[len - 1] == 10 || line[len - 1] == 13) { len -= 1 }
        let lineEnd = lineOffset + Int64(line.count)
        if len == 0 {
            line.removeAll(keepingCapacity: true)
            flushField()
            endHeaderSection(at: lineEnd)
            return
        }
        let first = line[0]
        defer { lastHeaderLineLength = len }
        if first == 32 || first == 9 {
            if !field.isEmpty {
                if field.count + line.count > limits.maxHeaderBytes { exceed(.headerBytes); fieldTruncated = true }
                else { field += line; fieldTruncated = fieldTruncated || truncatedLine }
            }
            line.removeAll(keepingCapacity: true)
            return
        }
        if inTopHeaders && rawLinesSeen == 1 && line.starts(with: [0xEF, 0xBB, 0xBF]) {
            line.removeFirst(3)                     // a UTF-8 byte order mark before the first field
            lineOffset += 3                         // (not content if the line turns out to be)
            rawLinesSeen = 0
            headerLineComplete(final: final)
            return
        }
        if inTopHeaders && rawLinesSeen == 1 && line.starts(with: Array("From ".utf8)) {
            line.removeAll(keepingCapacity: true)   // mbox separator line
            return
        }
        if len >= 2 && first == 45 && line[1] == 45 && matchesOpenDelimiter(line, len) {
            flushField()
            let p = headerPart
            if fieldsInSection == 0 && p == parts.count - 1 && parts[p].delimiterOffset != nil, let parent = parts[p].parent {
                // Two delimiters in a row: no part between them (as GMime and
                // Python's email read it). The delimiter belongs to the parent.
                parts.removeLast()
                parts[parent].childCount -= 1
                leaf = -1
                mode = .content
                atLineStart = true
                reinjectLine(endingHeaders: false)
            } else {
                // A delimiter inside a header section: the part had no body.
                reinjectLine(endingHeaders: true)
            }
            return
        }
        if fieldColon(len) > 0 {
            flushField()
            field = line
            fieldTruncated = truncatedLine
            line.removeAll(keepingCapacity: true)
            return
        }
        // A line with no space and no colon right after an overlong line: a long
        // field wrapped without the leading white space (seen from some MTAs).
        if !field.isEmpty && lastHeaderLineLength > 200 && !line[0..<len].contains(32) && !line[0..<len].contains(9) {
            if field.count + line.count > limits.maxHeaderBytes { exceed(.headerBytes); fieldTruncated = true }
            else { field += line; fieldTruncated = fieldTruncated || truncatedLine }
            lastHeaderLineLength = len
            line.removeAll(keepingCapacity: true)
            return
        }
        // Not a header line: the header section ends and this line is content.
        flushField()
        reinjectLine(endingHeaders: true)
    }

    /// Whether a header-section line that outgrew the field limit will end the
    /// section (it is not a field, a continuation, a delimiter, the mbox `From `
    /// line or a wrapped long field), decided on its first bytes as
    /// ``headerLineComplete(final:)`` would decide on the whole line.
    private func overlongLineIsContent() -> Bool {
        let s = startsWithTopBOM() ? 3 : 0
        guard line.count > s else { return false }
        let first = line[s]
        if first == 32 || first == 9 { return false }
        if line.count >= 2 && first == 45 && line[1] == 45 && matchesOpenDelimiter(line, line.count) { return false }
        if inTopHeaders && rawLinesSeen == 0 && line[s...].starts(with: "From ".utf8) { return false }
        if fieldColon(line.count, from: s) > s { return false }   // a name of at least one byte
        if !field.isEmpty && lastHeaderLineLength > 200 && !line.contains(32) && !line.contains(9) { return false }
        return true
    }

    private func startsWithTopBOM() -> Bool {
        inTopHeaders && rawLinesSeen == 0 && line.starts(with: [0xEF, 0xBB, 0xBF])
    }

    /// The colon of a header field in the first `len` bytes of `line` (-1: none):
    /// a name of printable ASCII, then optional spaces/tabs (RFC 5322 §4.5.2
    /// obsolete syntax, which GMime accepts: `Content-Type : x` is a field).
    private func fieldColon(_ len: Int, from start: Int = 0) -> Int {
        var k = start
        while k < len {
            let c = line[k]
            if c == 58 { return k }
            if c <= 32 || c >= 127 { break }
            k += 1
        }
        guard k > start else { return -1 }
        while k < len && (line[k] == 32 || line[k] == 9) { k += 1 }
        return k < len && line[k] == 58 ? k : -1
    }

    /// Processes the complete line in `line` as content, after ending the header
    /// section when asked.
    private func reinjectLine(endingHeaders: Bool) {
        let l = line
        let off = lineOffset
        line.removeAll(keepingCapacity: true)
        if endingHeaders { endHeaderSection(at: off) }
        if mode == .headers {  // a nested message's header section starts here
            line = l; lineOffset = off
            headerLineComplete(final: false)
            return
        }
        let savedBase = bufferBase
        // The line's own line break is held back: if a delimiter follows right
        // after it, it belongs to that delimiter (as every other content line break).
        var body = l.count
        if body > 0 && l[body - 1] == 10 { body -= 1; if body > 0 && l[body - 1] == 13 { body -= 1 } }
        l.withUnsafeBytes { b in
            var consumed = 0
            while consumed < body {
                let c = process(UnsafeRawBufferPointer(rebasing: b[consumed..<body]), base: off + Int64(consumed), final: true)
                if c == 0 { break }
                consumed += c
            }
            if mode == .content && body < b.count {
                pendingBreak = b.count - body
                atLineStart = true
            } else if body < b.count {
                _ = process(UnsafeRawBufferPointer(rebasing: b[body...]), base: off + Int64(body), final: true)
            }
        }
        bufferBase = savedBase
    }

    private func matchesOpenDelimiter(_ l: [UInt8], _ len: Int) -> Bool {
        l.withUnsafeBufferPointer { b in
            for f in frames.reversed() where !f.closed && !f.delimiter.isEmpty {
                if delimiterMatch(b.baseAddress!, len, f.delimiter, final: true) != nil { return true }
            }
            return false
        }
    }

    /// Ends the field in `field`: hands a top-level field to the handler (up to
    /// ``ParserLimits/maxHeaders`` fields) and applies structure fields (all of them:
    /// extra fields must not hide the structure).
    private func flushField() {
        guard !field.isEmpty else { return }
        defer { field.removeAll(keepingCapacity: true); fieldTruncated = false }
        fieldsInSection += 1
        let overLimit = fieldsInSection > limits.maxHeaders
        if overLimit { exceed(.headers) }
        guard let colon = field.firstIndex(of: 58) else { return }
        var nameEnd = colon
        while nameEnd > 0 && (field[nameEnd - 1] == 32 || field[nameEnd - 1] == 9) { nameEnd -= 1 }
        let nameBytes = field[..<nameEnd]
        let isContent = nameBytes.count > 8 && asciiLowerPrefixEquals(nameBytes, "content-")
        let isTop = headerPart == 0 && inTopHeaders
        if !isTop && !overLimit && !embeddedHeaderNames.isEmpty,
           let parent = parts[headerPart].parent, parts[parent].kind == .message {
            let name = String(decoding: nameBytes, as: UTF8.self)
            if embeddedHeaderNames.contains(name.lowercased()) {
                handler.embeddedHeader(self, index: headerPart, name: name, value: unfold(Array(field[(colon + 1)...])))
            }
            if !isContent { return }
        }
        guard isContent || (isTop && !overLimit) else { return }
        let valueBytes = unfold(Array(field[(colon + 1)...]))
        let name = String(decoding: nameBytes, as: UTF8.self)
        if isTop && !overLimit { handler.topLevelHeader(name: name, value: valueBytes) }
        guard isContent, apply(name: name.lowercased(), value: valueBytes, to: headerPart) else { return }
        if nameEnd < colon { markAmbiguous(.spaceBeforeColon, headerPart) }
        if fieldTruncated { markUninspected(headerPart, .headerBytes) }
    }

    private static let ctBit: UInt8 = 1, cteBit: UInt8 = 2, cdBit: UInt8 = 4

    /// Applies a structure field (`lowercasedName`) to a part; returns whether it was one.
    /// The first field of each name counts, as in Python's `email`, MimeKit and
    /// Thunderbird (GMime takes the last); a later one that reads differently makes the
    /// part ambiguous.
    @discardableResult
    private func apply(name lowercasedName: String, value: String, to index: Int) -> Bool {
        switch lowercasedName {
        case "content-type":
            let (ct, amb) = ContentType.parse(value)
            let same = ct.map { parts[index].hasExplicitContentType && parts[index].contentType == $0 }
                ?? !parts[index].hasExplicitContentType
            guard firstOfName(Self.ctBit, index, readsTheSame: same, else: .duplicateContentType, amb) else { return true }
            if let ct {
                parts[index].contentType = ct
                parts[index].hasExplicitContentType = true
                if parts[index].filename == nil, let n = ct.parameters["name"] { parts[index].filename = n }
            }
        case "content-transfer-encoding":
            let (te, amb) = TransferEncoding.parse(value)
            let same = te == parts[index].transferEncoding
            guard firstOfName(Self.cteBit, index, readsTheSame: same, else: .duplicateTransferEncoding, amb) else { return true }
            parts[index].transferEncoding = te
        case "content-disposition":
            let (d, amb) = ContentDisposition.parse(value)
            let same = d == parts[index].disposition
            guard firstOfName(Self.cdBit, index, readsTheSame: same, else: .duplicateDisposition, amb) else { return true }
            parts[index].disposition = d
            if let f = d.filename { parts[index].filename = f }
        default:
            return false
        }
        return true
    }

    /// Whether this is the first structure field of its kind (`bit`) in the part: then
    /// it counts, and its own reading's ambiguities (`own`) are marked. A repeat does not
    /// count; when it reads differently from the first, the part is marked `repeated`.
    private func firstOfName(_ bit: UInt8, _ index: Int, readsTheSame same: Bool,
                             else repeated: Ambiguity, _ own: Ambiguity) -> Bool {
        if parts[index].seenFields & bit != 0 {
            if !same { markAmbiguous(repeated, index) }
            return false
        }
        parts[index].seenFields |= bit
        markAmbiguous(own, index)
        return true
    }

    private func markAmbiguous(_ a: Ambiguity, _ index: Int) {
        guard !a.isEmpty else { return }
        parts[index].ambiguity.formUnion(a)
        ambiguities.formUnion(a)
    }

    private func markUninspected(_ index: Int, _ kind: LimitKind) {
        if parts[index].uninspected == nil { parts[index].uninspected = kind }
        hasUninspectedParts = true
    }

    /// `offset` is the input-stream offset of the first content byte.
    private func endHeaderSection(at offset: Int64) {
        fieldsInSection = 0
        if inTopHeaders {
            inTopHeaders = false
            bodyStart = offset
        }
        beginContent(of: headerPart, at: rel(offset))
    }

    // MARK: Parts

    private func beginContent(of index: Int, at offset: Int64) {
        parts[index].contentOffset = offset
        atLineStart = true
        let ct = parts[index].contentType
        let depth = parts[index].depth
        // An empty boundary (`boundary=""`) is a boundary: GMime and Python's email
        // both split on `--` lines; only a missing one makes the multipart opaque.
        if ct.isMultipart, let b = ct.parameters["boundary"] {
            if depth >= limits.maxDepth {
                exceed(.depth)
                markUninspected(index, .depth)
            } else {
                parts[index].kind = .multipart
                frames.append(Frame(part: index, delimiter: Array("--".utf8) + Array(b.utf8)))
                recomputeMaxDelimiter()
                leaf = -1
                mode = .content
                _ = handler.partBegan(self, index: index)
                return
            }
        } else if ct.isEmbeddedMessage && parts[index].transferEncoding.isIdentity {
            if depth >= limits.maxDepth {
                exceed(.depth)
                markUninspected(index, .depth)
            } else if parts.count >= limits.maxParts {
                exceed(.parts)
                markUninspected(index, .parts)
            } else {
                parts[index].kind = .message
                frames.append(Frame(part: index, delimiter: []))
                _ = handler.partBegan(self, index: index)
                let child = newPart(parent: index, delimiterOffset: nil, headerOffset: offset)
                headerPart = child
                leaf = -1
                mode = .headers
                line.removeAll(keepingCapacity: true)
                field.removeAll(keepingCapacity: true)
                lineTruncated = false
                fieldTruncated = false
                return
            }
        }
        parts[index].kind = .leaf
        leaf = index
        switch parts[index].transferEncoding {
        case .base64: decoder = .base64(Base64Decoder())
        case .quotedPrintable: decoder = .qp(QuotedPrintableDecoder())
        default: decoder = .identity
        }
        delivered = 0
        delivering = handler.partBegan(self, index: index)
        decoding = delivering || decodeAll
        if !decoding { parts[index].decodedAll = false }
        mode = .content
    }

    private func newPart(parent: Int, delimiterOffset: Int64?, headerOffset: Int64) -> Int {
        parts[parent].childCount += 1
        let pp = parts[parent]
        let defaultType: ContentType = (pp.contentType.mediaType == "multipart/digest") ? .messageRFC822 : .textPlain
        parts.append(MIMEPart(parent: parent, path: pp.path + "." + String(pp.childCount), depth: pp.depth + 1,
                              kind: .leaf, contentType: defaultType, hasExplicitContentType: false,
                              transferEncoding: .sevenBit, disposition: nil, filename: nil,
                              delimiterOffset: delimiterOffset, headerOffset: headerOffset))
        return parts.count - 1
    }

    private func endLeaf(at offset: Int64) {
        guard leaf >= 0 else { return }
        if decoding {
            var n = 0
            switch decoder {
            case .base64(var d): n = d.finish(into: scratch); decoder = .base64(d)
            case .qp(var d): n = d.finish(into: scratch); decoder = .qp(d)
            case .identity: break
            }
            if n > 0 { deliver(UnsafeRawBufferPointer(start: scratch, count: n)) }
        }
        parts[leaf].endOffset = offset
        let ended = leaf
        leaf = -1
        decoding = false
        delivering = false
        handler.partEnded(self, index: ended)
    }

    private func popFrame(at offset: Int64) {
        guard let f = frames.popLast() else { return }
        if !f.delimiter.isEmpty && !f.closed { parts[f.part].missingCloseDelimiter = true }
        if parts[f.part].endOffset < 0 { parts[f.part].endOffset = offset }
        recomputeMaxDelimiter()
        handler.partEnded(self, index: f.part)
    }

    private func recomputeMaxDelimiter() {
        maxDelimiter = frames.reduce(0) { $1.closed ? $0 : max($0, $1.delimiter.count) }
    }

    private func exceed(_ kind: LimitKind) {
        if exceeded.insert(kind).inserted { handler.limitExceeded(self, kind) }
    }

    // MARK: Content and delimiters

    /// Scans content from `i0` for delimiter lines; hands content to the current
    /// leaf. Returns where it stopped: at `n`, after a delimiter token (mode is then
    /// `.skipLine`), or at the line break of an undecided candidate.
    private func consumeContent(_ p: UnsafePointer<UInt8>, _ n: Int, _ start: Int, final: Bool) -> Int {
        var i0 = start
        if maxDelimiter == 0 {
            emit(p + i0, n - i0)
            atLineStart = p[n - 1] == 10
            return n
        }
        var search = i0
        while true {
            guard let hit = memchr(p + search, 45, n - search) else {
                // No '-': everything is content, except a trailing line break that
                // may precede a delimiter in the next chunk.
                let keep = final ? n : trailingLineBreakStart(p, i0, n)
                emit(p + i0, keep - i0)
                if keep > i0 { atLineStart = p[keep - 1] == 10 }
                return keep
            }
            let d = UnsafeRawPointer(hit).assumingMemoryBound(to: UInt8.self) - p
            let lineStart = d > i0 ? p[d - 1] == 10 : atLineStart
            if !lineStart { search = d + 1; continue }
            // Candidate delimiter line at d.
            var matched: (frame: Int, close: Bool, length: Int)? = nil
            var undecided = false
            for k in stride(from: frames.count - 1, through: 0, by: -1) {
                let f = frames[k]
                if f.closed || f.delimiter.isEmpty { continue }
                switch delimiterMatch(p + d, n - d, f.delimiter, final: final) {
                case .some(.match(let close, let len)): matched = (k, close, len)
                case .some(.needMore): undecided = true
                case nil: break
                }
                if matched != nil || undecided { break }
            }
            if undecided && matched == nil {
                let lb = lineBreakStart(p, i0, d)
                emit(p + i0, lb - i0)
                if lb > i0 { atLineStart = p[lb - 1] == 10 }
                return lb
            }
            guard let m = matched else { search = d + 1; continue }
            if !m.close && parts.count >= limits.maxParts {
                // The delimiter stays content; what precedes it goes out first so
                // that reports keep stream order whatever the chunking.
                emit(p + i0, d - i0)
                i0 = d
                atLineStart = true
                exceed(.parts)
                if leaf >= 0 { markUninspected(leaf, .parts) }
                else { markUninspected(frames[m.frame].part, .parts) }
                search = d + 1
                continue
            }
            let lb = lineBreakStart(p, i0, d)
            var held: Int64 = 0
            if pendingBreak != 0 {
                // A held-back line break right before the delimiter belongs to it.
                if d == i0 { held = Int64(pendingBreak); pendingBreak = 0 } else { flushPendingBreak() }
            }
            emit(p + i0, lb - i0)
            delimiter(frame: m.frame, close: m.close, at: rel(bufferBase + Int64(lb)) - held)
            atLineStart = false
            return d + m.length
        }
    }

    private enum DelimiterMatch { case match(close: Bool, length: Int), needMore }

    /// Linear white space allowed after a delimiter before the decision is taken
    /// without seeing the line end (bounds the carry).
    private static let maxDelimiterPadding = 64

    /// Whether the bytes at `p` start `delim` as a delimiter line: `--boundary`,
    /// optionally `--`, then only spaces/tabs up to the line end (or the end of input
    /// when final), as RFC 2046 §5.1.1 and GMime have it: `--b text` is content.
    private func delimiterMatch(_ p: UnsafePointer<UInt8>, _ avail: Int, _ delim: [UInt8], final: Bool) -> DelimiterMatch? {
        let dl = delim.count
        let cmp = min(avail, dl)
        let same = delim.withUnsafeBufferPointer { memcmp(p, $0.baseAddress!, cmp) == 0 }
        if !same { return nil }
        if avail < dl { return final ? nil : .needMore }
        var j = dl
        var close = false
        if j < avail && p[j] == 45 {
            if j + 1 >= avail { return final ? nil : .needMore }
            if p[j + 1] != 45 { return nil }
            close = true
            j += 2
        }
        let length = j
        let limit = j + MIMEParser.maxDelimiterPadding
        while j < avail && j < limit && (p[j] == 32 || p[j] == 9) { j += 1 }
        if j == limit { return .match(close: close, length: length) }
        if j == avail { return final ? .match(close: close, length: length) : .needMore }
        if p[j] == 13 || p[j] == 10 { return .match(close: close, length: length) }
        return nil
    }

    /// The start of the line break ending just before `d` (CRLF or LF), not before `lo`.
    private func lineBreakStart(_ p: UnsafePointer<UInt8>, _ lo: Int, _ d: Int) -> Int {
        var s = d
        if s > lo && p[s - 1] == 10 { s -= 1; if s > lo && p[s - 1] == 13 { s -= 1 } }
        return s
    }

    /// Where a trailing CR, LF or CRLF starts (n when the buffer ends otherwise).
    private func trailingLineBreakStart(_ p: UnsafePointer<UInt8>, _ lo: Int, _ n: Int) -> Int {
        var s = n
        if s > lo && p[s - 1] == 10 { s -= 1 }
        if s > lo && p[s - 1] == 13 { s -= 1 }
        return s
    }

    private func delimiter(frame k: Int, close: Bool, at offset: Int64) {
        endLeaf(at: offset)
        while frames.count - 1 > k { popFrame(at: offset) }
        let parent = frames[k].part
        if close {
            frames[k].closed = true
            recomputeMaxDelimiter()
            afterSkip = .content
        } else {
            headerPart = newPart(parent: parent, delimiterOffset: offset, headerOffset: -1)
            afterSkip = .headers
        }
        mode = .skipLine
    }

    private func afterDelimiterLine(at offset: Int64) {
        switch afterSkip {
        case .headers:
            parts[headerPart].headerOffset = offset
            line.removeAll(keepingCapacity: true)
            field.removeAll(keepingCapacity: true)
            lineTruncated = false
            fieldTruncated = false
            fieldsInSection = 0
            mode = .headers
        case .content:
            leaf = -1
            mode = .content
        }
    }

    // MARK: Decoding and delivery

    private func emit(_ p: UnsafePointer<UInt8>, _ count: Int) {
        guard count > 0 else { return }
        if pendingBreak != 0 { flushPendingBreak() }
        guard leaf >= 0 else { return }
        parts[leaf].encodedSize += Int64(count)
        guard decoding else { return }
        switch decoder {
        case .identity:
            parts[leaf].decodedSize += Int64(count)
            if delivering { deliver(UnsafeRawBufferPointer(start: p, count: count)) }
        case .base64(var d):
            var off = 0
            while off < count {
                let take = min(count - off, scratchSize / 3 * 4 - 4)
                let k = d.decode(UnsafeRawBufferPointer(start: p + off, count: take), into: scratch)
                off += take
                if k > 0 { deliver(UnsafeRawBufferPointer(start: scratch, count: k)) }
            }
            decoder = .base64(d)
        case .qp(var d):
            var off = 0
            while off < count {
                let take = min(count - off, scratchSize - 64)   // QuotedPrintableDecoder.maxOutput fits
                let k = d.decode(UnsafeRawBufferPointer(start: p + off, count: take), into: scratch)
                off += take
                if k > 0 { deliver(UnsafeRawBufferPointer(start: scratch, count: k)) }
            }
            decoder = .qp(d)
        }
    }

    /// Emits the held-back line break of a re-fed header-section line as content.
    private func flushPendingBreak() {
        let k = pendingBreak
        pendingBreak = 0
        MIMEParser.lineBreak.withUnsafeBufferPointer { emit($0.baseAddress! + 2 - k, k) }
    }
    private static let lineBreak: [UInt8] = [13, 10]

    /// Counts decoded bytes and hands them to the handler while it wants them.
    private func deliver(_ bytes: UnsafeRawBufferPointer) {
        guard leaf >= 0 else { return }
        if case .identity = decoder {} else { parts[leaf].decodedSize += Int64(bytes.count) }
        guard delivering else { return }
        let room = limits.maxInspectBytes - delivered
        let slice = bytes.count <= room ? bytes : UnsafeRawBufferPointer(rebasing: bytes[0..<room])
        delivered += slice.count
        if slice.count > 0 && !handler.partData(self, index: leaf, slice) {
            delivering = false
        } else if bytes.count > room {
            exceed(.inspectBytes)
            markUninspected(leaf, .inspectBytes)
            delivering = false
        }
        if !delivering && !decodeAll {
            decoding = false
            parts[leaf].decodedAll = false
        }
    }
}

/// Unfolds a header value: drops CR and LF (RFC 5322 §2.2.3) and leading white space.
func unfold(_ bytes: [UInt8]) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    for b in bytes where b != 13 && b != 10 { out.append(b) }
    var s = 0
    while s < out.count && (out[s] == 32 || out[s] == 9) { s += 1 }
    var e = out.count
    while e > s && (out[e - 1] == 32 || out[e - 1] == 9) { e -= 1 }
    return String(decoding: out[s..<e], as: UTF8.self)
}

private func asciiLowerPrefixEquals(_ bytes: ArraySlice<UInt8>, _ prefix: StaticString) -> Bool {
    let pl = prefix.utf8CodeUnitCount
    guard bytes.count >= pl else { return false }
    let pp = prefix.utf8Start
    var i = bytes.startIndex
    for k in 0..<pl {
        if bytes[i] | 0x20 != pp[k] | 0x20 { return false }
        i += 1
    }
    return true
}
