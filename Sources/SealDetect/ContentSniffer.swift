/// Byte-based detection for one part: fed the part's decoded bytes in chunks of any
/// size, it finds the unscannable kinds whose signatures it sees. It reads only
/// what the format needs: ``wantsMore`` turns false as soon as it has decided.
///
/// What it looks at, whatever the part's label says:
/// - the first bytes (kept in a fixed 1 KiB head buffer while undecided): a CMS ContentInfo
///   (DER or BER) for envelopedData, authEnvelopedData, or signedData with eContent; the rpmsg
///   prefix; a ZIP local header or an OLE compound file magic, which start a streaming walk;
///   `%PDF-` within the first 1024 bytes, which starts a whole-file scan for `/Encrypt`.
///   Bytes before `%PDF-` must look like text (a control byte other than tab, CR, LF, FF
///   ends the search), so binary parts of other kinds are given up after a few bytes.
/// - an encrypted OpenPGP binary message (first packet a plausible PKESK or SKESK), only in
///   parts labelled `application/octet-stream` or `application/pgp-*`, or named
///   `.pgp`/`.gpg`/`.asc` (to limit false positives).
/// - `-----BEGIN PGP MESSAGE` armor anywhere in `text/*` parts and in parts named
///   `.asc`/`.pgp`/`.gpg`: such parts are wanted up to `maxBytes` (until found). Armor in a
///   text part is `pgp-inline` (a block in the text); armor in a non-text part (the
///   `application/octet-stream` part of a PGP/MIME message, an attached `.asc` file) is an
///   encrypted file, reported as `pgp-mime` as the binary form is.
/// - Sealmilter's own envelopes (provisional definition, to be completed by the envelope
///   format): a `text/html` part, or a part named `*.html`/`*.htm`, whose first 4096 decoded
///   bytes contain exactly `<meta name="sealmilter-envelope"`.
///
/// Nothing is allocated per byte or per chunk: carries across chunk edges are fixed inline
/// buffers and the scans use `memchr` and `memcmp` over the raw chunks.
public struct ContentSniffer: Sendable {
    public private(set) var found: UnscannableSet = []
    /// Whether more decoded bytes could still change ``found``.
    public private(set) var wantsMore: Bool = false
    /// Whether the sniffer stopped wanting bytes only because it had read `maxBytes`,
    /// still undecided: bytes after those (if the part has any) were not inspected, and
    /// a kind could hide there. The engine may count such a part as uninspected
    /// (`limits-exceeded`) when the part is longer than `maxBytes`.
    public private(set) var stoppedAtLimit: Bool = false

    static let headCapacity = 1024
    static let envelopeWindow = 4096

    private let maxBytes: Int
    private var total = 0

    // Head classification.
    private var head = InlineArray<1024, UInt8>(repeating: 0)
    private var headCount = 0
    private var headPending = true
    private var magicPending = true
    private var cmsPending = true
    private var pgpPending: Bool
    private var pdfPending = true
    private var pdfSearchedTo = 0

    // Streaming detectors.
    private var zip: ZipWalker?
    private var ole: CarryScanner?
    private var pdf: CarryScanner?
    private var armor: CarryScanner?
    /// The kind armor stands for in this part: `pgp-inline` in text parts, else `pgp-mime`.
    private let armorKind: UnscannableKind
    private var envelope: CarryScanner?

    /// - Parameters:
    ///   - label: the part's declared type and filename.
    ///   - maxBytes: the most decoded bytes it may be fed in all (the policy limit).
    public init(label: PartLabel, maxBytes: Int) {
        self.maxBytes = max(0, maxBytes)
        let ext = label.fileExtension
        let armoredName = ext == "asc" || ext == "pgp" || ext == "gpg"
        pgpPending = label.mediaType == "application/octet-stream"
            || label.mediaType.hasPrefix("application/pgp")
            || armoredName
        if label.isText || armoredName { armor = CarryScanner() }
        armorKind = label.isText ? .pgpInline : .pgpMIME
        if label.mediaType == "text/html" || ext == "html" || ext == "htm" { envelope = CarryScanner() }
        updateWantsMore()
    }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard wantsMore, bytes.count > 0 else { return }
        let chunk = UnsafeRawBufferPointer(rebasing: bytes.prefix(maxBytes - total))

        if armor != nil {
            if Sig.pgpArmorMessage.withUnsafeBytes({ armor!.feed(chunk, needle: $0, verify: Sig.verifyArmor) }) {
                found.insert(armorKind)
                armor = nil
            }
        }
        if envelope != nil {
            let room = Self.envelopeWindow - total
            if room > 0 {
                let part = UnsafeRawBufferPointer(rebasing: chunk.prefix(room))
                if Sig.envelopeMeta.withUnsafeBytes({ envelope!.feed(part, needle: $0, verify: Sig.verifyAlways) }) {
                    found.insert(.sealmilterEnvelope)
                    envelope = nil
                }
            }
            if total + chunk.count >= Self.envelopeWindow, envelope != nil {
                finishEnvelope()
            }
        }

        var rest = chunk
        if headPending {
            let k = min(Self.headCapacity - headCount, chunk.count)
            let copied = UnsafeRawBufferPointer(rebasing: chunk[0..<k])
            let start = headCount
            var span = head.mutableSpan
            span.withUnsafeMutableBytes { d in
                (d.baseAddress! + start).copyMemory(from: copied.baseAddress!, byteCount: k)
            }
            headCount += k
            // Detectors already streaming take these bytes as they come.
            feedStreaming(copied)
            classify(complete: false)
            rest = UnsafeRawBufferPointer(rebasing: chunk[k...])
        }
        feedStreaming(rest)
        total += chunk.count
        updateWantsMore()
    }

    /// The part ended: decide on what was seen.
    public mutating func finish() {
        if headPending { classify(complete: true) }
        if var z = zip {
            z.finish()
            if z.encrypted { found.insert(.zipEncrypted) }
            zip = nil
        }
        if let s = ole, Sig.oleEncryptionInfo.withUnsafeBytes({ s.finish(needle: $0, verify: Sig.verifyOLEEncryptionInfo) }) {
            found.insert(.officeEncrypted)
        }
        if let s = pdf, Sig.pdfEncrypt.withUnsafeBytes({ s.finish(needle: $0, verify: Sig.verifyPDFEncrypt) }) {
            found.insert(.pdfEncrypted)
        }
        if let s = armor, Sig.pgpArmorMessage.withUnsafeBytes({ s.finish(needle: $0, verify: Sig.verifyArmor) }) {
            found.insert(armorKind)
        }
        if envelope != nil { finishEnvelope() }
        ole = nil; pdf = nil; armor = nil
        wantsMore = false
    }

    // MARK: - Internals

    private mutating func finishEnvelope() {
        if let s = envelope, Sig.envelopeMeta.withUnsafeBytes({ s.finish(needle: $0, verify: Sig.verifyAlways) }) {
            found.insert(.sealmilterEnvelope)
        }
        envelope = nil
    }

    private mutating func updateWantsMore() {
        guard total < maxBytes else {
            stoppedAtLimit = wantsMore && (headPending || zip != nil || ole != nil || pdf != nil || armor != nil || envelope != nil)
            wantsMore = false
            return
        }
        wantsMore = headPending || zip != nil || ole != nil || pdf != nil || armor != nil || envelope != nil
    }

    /// Feeds bytes to the streaming format detectors that are running.
    private mutating func feedStreaming(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        if zip != nil {
            zip!.feed(bytes)
            if zip!.isDone {
                if zip!.encrypted { found.insert(.zipEncrypted) }
                zip = nil
            }
        }
        if ole != nil,
           Sig.oleEncryptionInfo.withUnsafeBytes({ ole!.feed(bytes, needle: $0, verify: Sig.verifyOLEEncryptionInfo) }) {
            found.insert(.officeEncrypted)
            ole = nil
        }
        if pdf != nil,
           Sig.pdfEncrypt.withUnsafeBytes({ pdf!.feed(bytes, needle: $0, verify: Sig.verifyPDFEncrypt) }) {
            found.insert(.pdfEncrypted)
            pdf = nil
        }
    }

    /// Looks at the head buffer: settles what it can, and starts streaming detectors (which
    /// are first given the head bytes seen so far).
    private mutating func classify(complete: Bool) {
        let h = head
        let count = headCount
        let full = count == Self.headCapacity
        let final = complete || full
        var start: (zip: Bool, ole: Bool, pdf: Bool) = (false, false, false)
        h.span.withUnsafeBytes { all in
            let b = UnsafeRawBufferPointer(rebasing: all[0..<count])
            if magicPending && (count >= 8 || final) {
                magicPending = false
                if Self.hasPrefix(b, Sig.zipLocal) { start.zip = true }
                if Self.hasPrefix(b, Sig.ole) { start.ole = true }
                if Self.hasPrefix(b, Sig.rpmsg) { found.insert(.msRightsProtected) }
            }
            if cmsPending {
                if count >= 1 && b[0] != 0x30 {
                    cmsPending = false
                } else if count >= 1 || final {
                    switch CMSProbe.probe(b, complete: final) {
                    case .needMore: break
                    case .none: cmsPending = false
                    case .kind(let k): found.insert(k); cmsPending = false
                    }
                }
            }
            if pgpPending && (count >= 1 || final) {
                switch PGPProbe.probe(b, complete: final) {
                case .needMore: break
                case .none: pgpPending = false
                case .kind(let k): found.insert(k); pgpPending = false
                }
            }
            if pdfPending {
                var i = pdfSearchedTo
                while i < count {
                    let c = b[i]
                    if c == UInt8(ascii: "%") {
                        if i + 5 <= count {
                            if Self.hasPrefix(UnsafeRawBufferPointer(rebasing: b[i...]), Sig.pdfHeader) {
                                start.pdf = true
                                pdfPending = false
                                break
                            }
                        } else if !final {
                            break  // wait for the rest of a possible header
                        }
                    } else if c < 0x20 && c != 0x09 && c != 0x0A && c != 0x0D && c != 0x0C {
                        pdfPending = false  // binary before any %PDF-: not a PDF
                        break
                    }
                    i += 1
                }
                pdfSearchedTo = i
                if final { pdfPending = false }
            }
        }
        headPending = magicPending || cmsPending || pgpPending || pdfPending
        if start.zip || start.ole || start.pdf {
            if start.zip { zip = ZipWalker() }
            if start.ole { ole = CarryScanner() }
            if start.pdf { pdf = CarryScanner() }
            // Replay the head to the new detectors only (others have seen it already).
            var replay = ContentSniffer.Replay(zip: zip, ole: ole, pdf: pdf, fresh: start)
            h.span.withUnsafeBytes { all in
                replay.run(UnsafeRawBufferPointer(rebasing: all[0..<count]))
            }
            zip = replay.zip; ole = replay.ole; pdf = replay.pdf
            if replay.zipFound { found.insert(.zipEncrypted) }
            if replay.oleFound { found.insert(.officeEncrypted) }
            if replay.pdfFound { found.insert(.pdfEncrypted) }
        }
    }

    /// Feeds the head to freshly started detectors.
    private struct Replay {
        var zip: ZipWalker?
        var ole: CarryScanner?
        var pdf: CarryScanner?
        var fresh: (zip: Bool, ole: Bool, pdf: Bool)
        var zipFound = false, oleFound = false, pdfFound = false

        mutating func run(_ b: UnsafeRawBufferPointer) {
            if fresh.zip, zip != nil {
                zip!.feed(b)
                if zip!.isDone { zipFound = zip!.encrypted; zip = nil }
            }
            if fresh.ole, ole != nil,
               Sig.oleEncryptionInfo.withUnsafeBytes({ ole!.feed(b, needle: $0, verify: Sig.verifyOLEEncryptionInfo) }) {
                oleFound = true; ole = nil
            }
            if fresh.pdf, pdf != nil,
               Sig.pdfEncrypt.withUnsafeBytes({ pdf!.feed(b, needle: $0, verify: Sig.verifyPDFEncrypt) }) {
                pdfFound = true; pdf = nil
            }
        }
    }

    private static func hasPrefix(_ b: UnsafeRawBufferPointer, _ p: [UInt8]) -> Bool {
        guard b.count >= p.count else { return false }
        for i in 0..<p.count where b[i] != p[i] { return false }
        return true
    }
}
