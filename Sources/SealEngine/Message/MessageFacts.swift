import SealPolicy
import SealDetect
import SealMIME
import SealPattern
import SealCrypto

/// The facts of one message that rules look at, gathered as it streams by: the
/// envelope, the top-level header fields, the part tree with each part's labels
/// and unscannable kinds, and the decoded text of text parts when a condition reads
/// it (up to the inspection limit). It is the MIME parser's handler; it keeps only
/// what the rules need and decides nothing.
public final class MessageFacts: MIMEHandler {
    /// The envelope sender, without angle brackets ("" for the null sender).
    public let sender: String
    /// The accepted envelope recipients, without angle brackets.
    public internal(set) var recipients: [String] = []
    /// Top-level header fields (up to `limits.max_headers`), as received.
    public private(set) var headers: [(name: String, value: String)] = []
    private var headerBytes: Int64 = 0
    /// Forged `X-Sealmilter-*` fields: name as received, 1-based index among fields of that name.
    public private(set) var forged: [(name: String, index: Int)] = []
    private var nameCounts: [String: Int] = [:]
    /// Every top-level field as received, forged ones included (kept only when the
    /// policy may build other versions of the message: ``keepsOriginalHeaders``).
    public private(set) var originalHeaders: [(name: String, value: String)] = []
    /// The original header section was larger than ``originalHeaderLimit`` (no
    /// other version can be built from it).
    public private(set) var originalHeadersTruncated = false
    private var originalHeaderBytes = 0
    var keepsOriginalHeaders = false
    /// Values of `X-Sealmilter-Submitted` fields (submission markers), with their index.
    public private(set) var markers: [(value: String, index: Int)] = []
    /// The header bytes kept for building other versions, at most.
    public static let originalHeaderLimit = 1 << 20

    /// The parser and its part tree (``MIMEParser/parts``).
    public internal(set) var parser: MIMEParser!
    /// The policy's settings.
    public let settings: PolicySettings
    /// The connection's MTA macros (names without braces), as received so far.
    public internal(set) var macros: [String: String]

    /// Unscannable kinds found anywhere in the message.
    public private(set) var unscannable: UnscannableSet = []
    /// Unscannable kinds per part index.
    public private(set) var partKinds: [Int: UnscannableSet] = [:]
    private var sniffers: [Int: ContentSniffer] = [:]
    private var texts: [Int: [UInt8]] = [:]
    private let collectText: Bool
    private let collectParts: Bool
    /// SHA-256 of the decoded bytes of each leaf that is not text (up to
    /// `limits.max_inspect_bytes` of it), by part index; kept when a rule reads parts.
    public private(set) var partDigests: [Int: [UInt8]] = [:]
    private var digesting: [Int: (stream: SHA256Stream, count: Int)] = [:]
    /// The decoded bytes (up to `limits.max_inspect_bytes`) of leaves that are
    /// messages the parser did not open (`.eml` attachments, message/* types it
    /// keeps as leaves), by part index; kept when a rule reads parts.
    public private(set) var attachedMessages: [Int: [UInt8]] = [:]
    /// The `Message-ID` field value (unfolded, not decoded; the first one, at most
    /// ``embeddedMessageIDLimit`` bytes) of each message the parser opened inside a
    /// message/rfc822 or message/global part, at any depth, by the part index of
    /// that embedded entity; at most ``embeddedMessageIDCount`` of them. Kept when a
    /// rule reads parts (messages attached as leaves are in ``attachedMessages``).
    public private(set) var embeddedMessageIDs: [Int: String] = [:]
    /// The most embedded messages whose `Message-ID` is kept.
    public static let embeddedMessageIDCount = 64
    /// The most bytes of an embedded message's `Message-ID` value kept.
    public static let embeddedMessageIDLimit = 1000
    /// `X-Sealmilter-*` fields as received (name, value), at most 16: they are
    /// removed as forged, but a feature may read a request in one first.
    public private(set) var sealmilterFields: [(name: String, value: String)] = []
    private var featureState: [ObjectIdentifier: AnyObject] = [:]
    private let inspectLimit: Int
    /// When rule evaluation must stop (the CPU budget); checked by long conditions.
    let budget: CPUBudget
    /// The policy's body conditions in one pattern set, and what it found.
    private let bodySet: TextMatcherSet?
    private var bodyHits: MatchSet? = nil
    /// The session's pattern scratch space (one scan at a time, reused across messages).
    public let scratch: Scratch?
    /// The policy's shared text scan (body and ``TextScanCondition``s), and what it found.
    let textScan: TextScan?
    var textScanCache: TextScan.Result? = nil

    init(sender: String, settings: PolicySettings, macros: [String: String], collectText: Bool, collectParts: Bool = false,
         decodeAll: Bool, budget: CPUBudget, bodySet: TextMatcherSet? = nil, scratch: Scratch? = nil,
         textScan: TextScan? = nil) {
        self.sender = sender
        self.textScan = textScan
        self.bodySet = bodySet
        self.scratch = scratch
        self.settings = settings
        self.macros = macros
        self.collectText = collectText
        self.collectParts = collectParts
        self.inspectLimit = settings.limits.maxInspectBytes
        self.budget = budget
        self.parser = MIMEParser(limits: settings.limits, decodeAll: decodeAll, handler: self)
        if collectParts { parser.embeddedHeaderNames = ["message-id"] }
    }

    /// Whether a parser limit was exceeded (content past it was not inspected).
    public var limitsExceeded: Bool { !parser.exceeded.isEmpty }
    /// Header and body bytes so far.
    public var size: Int64 { headerBytes + parser.bodySize }

    /// The direction of the message to `recipient` (nil: relayed between outside domains).
    public func direction(of recipient: String) -> Direction? {
        settings.direction(sender: sender, recipient: recipient)
    }

    /// Header fields called `name` (case-insensitive), values decoded (RFC 2047).
    /// Decoded once per name and message (every header and subject condition of every
    /// rule reads them); a new field clears the cache.
    public func headerValues(_ name: String) -> [String] {
        let lower = name.lowercased()
        if let cached = decodedHeaderValues[lower] { return cached }
        let values = headers.filter { $0.name.lowercased() == lower }.map { decodeEncodedWords(Array($0.value.utf8)) }
        decodedHeaderValues[lower] = values
        return values
    }
    private var decodedHeaderValues: [String: [String]] = [:]

    /// The decoded text of each text part kept for text conditions, in part order,
    /// converted from its charset once (conditions of many rules read it); stops
    /// early when the CPU budget is spent.
    public func textParts() -> [String] {
        if let decodedTexts, decodedTexts.count == texts.count { return decodedTexts }
        var out = decodedTexts ?? []
        for i in texts.keys.sorted().dropFirst(out.count) {
            if budget.spent { break }
            out.append(Charset.decode(texts[i]!, charset: parser.parts[i].contentType.parameters["charset"]))
        }
        decodedTexts = out
        return out
    }
    private var decodedTexts: [String]? = nil

    /// A feature's per-message state of type `T`, made by `make` the first time
    /// (a condition's work that its rule's action reuses; one per type and message).
    public func state<T: AnyObject>(_ make: () -> T) -> T {
        let id = ObjectIdentifier(T.self)
        if let s = featureState[id] as? T { return s }
        let s = make()
        featureState[id] = s
        return s
    }

    /// The indices of the text parts kept for text conditions, in the order of ``textParts()``.
    public var textPartIndices: [Int] { texts.keys.sorted() }

    /// The decoded text of text part `index` (nil: not kept, or the CPU budget ran out).
    public func text(part index: Int) -> String? {
        guard let k = textPartIndices.firstIndex(of: index) else { return nil }
        let all = textParts()
        return k < all.count ? all[k] : nil
    }

    /// Which of the policy's text conditions (`body`, `attachment_content`) match
    /// some text part: one scan of each part for all of them (nil when the engine
    /// has no text set). Computed once per message, after the whole body has been
    /// seen, with each part's own hits (``textMatches(part:)``).
    public func bodyMatches() -> MatchSet? {
        guard let bodySet else { return nil }
        // One scan with the text detectors when the policy has any (TextScan.swift).
        if let textScan, textScan.bodyCount > 0, let r = textScanResult() { return r.body }
        if let bodyHits { return bodyHits }
        var hits = MatchSet()
        let indices = textPartIndices
        for (k, var text) in textParts().enumerated() {
            if budget.spent { break }
            var partSet = MatchSet()
            text.withUTF8 { bodySet.scan(utf8: UnsafeRawBufferPointer($0), into: &partSet, scratch: scratch) }
            hits.formUnion(partSet)
            if k < indices.count { partHits[indices[k]] = partSet }
        }
        bodyHits = hits
        return hits
    }
    private var partHits: [Int: MatchSet] = [:]

    /// Which of the policy's text conditions match text part `index` (nil when the
    /// engine has no text set; empty for a part that is not a kept text part).
    public func textMatches(part index: Int) -> MatchSet? {
        guard bodyMatches() != nil else { return nil }
        return partHits[index] ?? MatchSet()
    }

    // MARK: Headers

    func recordHeader(name: String, value: String) {
        let lower = name.lowercased()
        nameCounts[lower, default: 0] += 1
        headerBytes += Int64(name.utf8.count + value.utf8.count + 4)
        if keepsOriginalHeaders && !originalHeadersTruncated {
            originalHeaderBytes += name.utf8.count + value.utf8.count + 4
            if originalHeaderBytes > Self.originalHeaderLimit {
                originalHeadersTruncated = true
                originalHeaders = []
            } else {
                originalHeaders.append((name, value))
            }
        }
        if lower.hasPrefix("x-sealmilter-") || lower == "x-sealmilter" {
            forged.append((name, nameCounts[lower]!))
            if sealmilterFields.count < 16 { sealmilterFields.append((name, value)) }
            if lower == SubmissionMarker.fieldName.lowercased() && markers.count < 8 {
                markers.append((value, nameCounts[lower]!))
            }
            return
        }
        if headers.count < settings.limits.maxHeaders {
            headers.append((name, value))
            if !decodedHeaderValues.isEmpty { decodedHeaderValues.removeAll() }
        }
        unscannable.formUnion(Detector.kinds(fromMessageHeader: name, value: value))
    }

    public func topLevelHeader(name: String, value: String) {
        if opened { openedHeaders.append((name, value)); return }
        recordHeader(name: name, value: value)
    }

    // MARK: Opened entity (``MessageOpener``)

    /// The part tree, text and unscannable kinds are those of an opened entity.
    public private(set) var opened = false
    /// The opened entity's own header fields (its `Content-*` fields), as parsed.
    public private(set) var openedHeaders: [(name: String, value: String)] = []

    /// Starts over with the content of an opened entity: a fresh parser (fed
    /// raw), no parts, text or content kinds yet; the outer header fields stay
    /// (header conditions see them) and so do the kinds they give.
    func beginOpened() {
        opened = true
        openedHeaders = []
        parser = MIMEParser(limits: settings.limits, decodeAll: parser.decodeAll, handler: self)
        if collectParts { parser.embeddedHeaderNames = ["message-id"] }
        sniffers = [:]; texts = [:]; partKinds = [:]; embeddedMessageIDs = [:]
        decodedTexts = nil; bodyHits = nil
        unscannable = []
        for h in headers { unscannable.formUnion(Detector.kinds(fromMessageHeader: h.name, value: h.value)) }
    }

    // MARK: Parser events

    public func partBegan(_ parser: MIMEParser, index: Int) -> Bool {
        let part = parser.parts[index]
        let label = PartLabel(mediaType: part.contentType.mediaType, parameters: part.contentType.parameters, filename: part.filename)
        let kinds = Detector.kinds(fromLabel: label)
        if !kinds.isEmpty { partKinds[index, default: []].formUnion(kinds); unscannable.formUnion(kinds) }
        guard part.isLeaf else { return false }
        let sniffer = ContentSniffer(label: label, maxBytes: inspectLimit)
        let wantText = collectText && label.isText
        if sniffer.wantsMore { sniffers[index] = sniffer }
        if wantText { texts[index] = [] }
        var wantParts = false
        if collectParts && !label.isText {
            digesting[index] = (SHA256Stream(), 0)
            let name = part.filename?.lowercased() ?? ""
            if name.hasSuffix(".eml") || part.contentType.mediaType.hasPrefix("message/") { attachedMessages[index] = [] }
            wantParts = true
        }
        return sniffer.wantsMore || wantText || wantParts
    }

    public func partData(_ parser: MIMEParser, index: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var more = false
        if sniffers[index] != nil {
            sniffers[index]!.feed(bytes)   // in place: a sniffer is ~2 KiB inline
            more = sniffers[index]!.wantsMore
        }
        if texts[index] != nil {
            texts[index]!.append(contentsOf: bytes)
            more = true
        }
        if let d = digesting[index] {
            // Stops short of the inspection limit (the part is not marked uninspected
            // for a digest): the digest covers the first max_inspect_bytes.
            d.stream.update(bytes)
            digesting[index]!.count += bytes.count
            if attachedMessages[index] != nil { attachedMessages[index]!.append(contentsOf: bytes) }
            if digesting[index]!.count < inspectLimit { more = true } else { finishDigest(index) }
        }
        return more
    }

    private func finishDigest(_ index: Int) {
        if let d = digesting.removeValue(forKey: index), let sum = try? d.stream.finish() { partDigests[index] = sum }
    }

    public func partEnded(_ parser: MIMEParser, index: Int) {
        if digesting[index] != nil { finishDigest(index) }
        if var s = sniffers.removeValue(forKey: index) {
            s.finish()
            if !s.found.isEmpty { partKinds[index, default: []].formUnion(s.found); unscannable.formUnion(s.found) }
            // The sniffer stopped at max_inspect_bytes with its question open: the
            // rest of the part was not inspected.
            let p = parser.parts[index]
            if s.stoppedAtLimit && (p.decodedSize > Int64(inspectLimit) || !p.decodedAll) { markUninspected(index) }
        }
    }

    /// The whole message has been parsed: what the parser could not settle or see.
    /// A structure that readers disagree on marks the message `ambiguous-structure`
    /// (the message as a whole: the mark often sits on the root, which is not a
    /// part to remove); a part whose content a limit kept from inspection is
    /// `limits-exceeded`, so that `remove_attachments {unscannable: any}` removes it.
    func parsingFinished() {
        if !parser.ambiguities.isEmpty { unscannable.formUnion(UnscannableSet(.ambiguousStructure)) }
        if parser.hasUninspectedParts {
            for (i, p) in parser.parts.enumerated() where p.uninspected != nil { markUninspected(i) }
        }
    }

    private func markUninspected(_ index: Int) {
        partKinds[index, default: []].formUnion(UnscannableSet(.limitsExceeded))
        unscannable.formUnion(UnscannableSet(.limitsExceeded))
    }

    /// Rule evaluation ran out of its CPU budget: what was not judged was not seen into.
    func budgetExhausted() {
        unscannable.formUnion(UnscannableSet(.limitsExceeded))
    }

    public func limitExceeded(_ parser: MIMEParser, _ kind: LimitKind) {}

    public func embeddedHeader(_ parser: MIMEParser, index: Int, name: String, value: String) {
        guard embeddedMessageIDs[index] == nil, embeddedMessageIDs.count < Self.embeddedMessageIDCount else { return }
        embeddedMessageIDs[index] = value.utf8.count <= Self.embeddedMessageIDLimit
            ? value : String(decoding: value.utf8.prefix(Self.embeddedMessageIDLimit), as: UTF8.self)
    }
}
