/// Checks made on the first bytes of a part (held in the sniffer's fixed head buffer).
enum ProbeResult: Equatable {
    /// The bytes so far neither confirm nor rule out the format.
    case needMore
    /// Not this format (or a readable variant of it).
    case none
    case kind(UnscannableKind)
}

// MARK: - CMS (RFC 5652), DER or BER

/// ContentInfo ::= SEQUENCE { contentType OBJECT IDENTIFIER, content [0] EXPLICIT ANY }
/// SignedData ::= SEQUENCE { version INTEGER, digestAlgorithms SET, encapContentInfo
///   SEQUENCE { eContentType OID, eContent [0] EXPLICIT OCTET STRING OPTIONAL }, ... }
enum CMSProbe {
    // 1.2.840.113549.1.7.2 / .7.3 / 1.2.840.113549.1.9.16.1.23 (contents octets only)
    static let oidSignedData: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]
    static let oidEnvelopedData: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03]
    static let oidAuthEnvelopedData: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17]

    private enum Parse: Error { case short, bad }

    /// A parsed tag-length header. `length` is nil for BER indefinite length.
    private struct Header {
        var tag: UInt8
        var length: Int?
        var headerLength: Int
    }

    private static func header(_ b: UnsafeRawBufferPointer, _ i: Int) throws(Parse) -> Header {
        guard i + 2 <= b.count else { throw .short }
        let tag = b[i]
        guard tag & 0x1F != 0x1F else { throw .bad }  // multi-byte tags do not occur here
        let l0 = b[i + 1]
        if l0 < 0x80 { return Header(tag: tag, length: Int(l0), headerLength: 2) }
        if l0 == 0x80 {
            guard tag & 0x20 != 0 else { throw .bad }  // indefinite needs constructed
            return Header(tag: tag, length: nil, headerLength: 2)
        }
        let n = Int(l0 & 0x7F)
        guard n <= 4 else { throw .bad }
        guard i + 2 + n <= b.count else { throw .short }
        var len = 0
        for k in 0..<n { len = len << 8 | Int(b[i + 2 + k]) }
        return Header(tag: tag, length: len, headerLength: 2 + n)
    }

    /// The offset just past the element at `i`, following nested indefinite lengths.
    private static func skip(_ b: UnsafeRawBufferPointer, _ i: Int, depth: Int = 0) throws(Parse) -> Int {
        guard depth < 16 else { throw .bad }
        let h = try header(b, i)
        if let len = h.length {
            let end = i + h.headerLength + len
            guard end <= b.count else { throw .short }
            return end
        }
        var j = i + h.headerLength
        while true {
            guard j + 2 <= b.count else { throw .short }
            if b[j] == 0 && b[j + 1] == 0 { return j + 2 }
            j = try skip(b, j, depth: depth + 1)
        }
    }

    private static func oidEquals(_ b: UnsafeRawBufferPointer, _ at: Int, _ oid: [UInt8]) -> Bool {
        guard at + oid.count <= b.count else { return false }
        for k in 0..<oid.count where b[at + k] != oid[k] { return false }
        return true
    }

    /// Decides from the first bytes of a part. `complete`: no more bytes will come.
    static func probe(_ b: UnsafeRawBufferPointer, complete: Bool) -> ProbeResult {
        do {
            return try parse(b)
        } catch .short {
            return complete ? .none : .needMore
        } catch {
            return .none
        }
    }

    private static func parse(_ b: UnsafeRawBufferPointer) throws(Parse) -> ProbeResult {
        let outer = try header(b, 0)
        guard outer.tag == 0x30 else { return .none }
        var i = outer.headerLength
        let type = try header(b, i)
        guard type.tag == 0x06, let oidLength = type.length, oidLength <= 16 else { return .none }
        let oidAt = i + type.headerLength
        guard oidAt + oidLength <= b.count else { throw .short }
        let kind: UnscannableKind
        if oidLength == oidEnvelopedData.count && oidEquals(b, oidAt, oidEnvelopedData) {
            kind = .smimeEnveloped
        } else if oidLength == oidAuthEnvelopedData.count && oidEquals(b, oidAt, oidAuthEnvelopedData) {
            kind = .smimeAuthEnveloped
        } else if oidLength == oidSignedData.count && oidEquals(b, oidAt, oidSignedData) {
            kind = .smimeOpaqueSigned
        } else {
            return .none
        }
        i = oidAt + oidLength
        let explicit = try header(b, i)
        guard explicit.tag == 0xA0 else { return .none }
        i += explicit.headerLength
        let body = try header(b, i)
        guard body.tag == 0x30 else { return .none }
        guard kind == .smimeOpaqueSigned else { return .kind(kind) }

        // SignedData: tell opaque (eContent present) from detached / certs-only.
        i += body.headerLength
        let version = try header(b, i)
        guard version.tag == 0x02, let vl = version.length, vl >= 1, vl <= 2 else { return .none }
        i = try skip(b, i)
        let digests = try header(b, i)
        guard digests.tag == 0x31 else { return .none }
        i = try skip(b, i)
        let encap = try header(b, i)
        guard encap.tag == 0x30 else { return .none }
        let encapEnd = encap.length.map { i + encap.headerLength + $0 }
        i += encap.headerLength
        let eType = try header(b, i)
        guard eType.tag == 0x06, eType.length != nil else { return .none }
        i = try skip(b, i)
        if let encapEnd {
            if i == encapEnd { return .none }      // no eContent: detached
            guard i < encapEnd else { return .none }
        } else {
            guard i + 2 <= b.count else { throw .short }
            if b[i] == 0 && b[i + 1] == 0 { return .none }  // end-of-contents: detached
        }
        guard i < b.count else { throw .short }
        return b[i] == 0xA0 ? .kind(.smimeOpaqueSigned) : .none
    }
}

// MARK: - OpenPGP binary messages (RFC 4880 / RFC 9580)

enum PGPProbe {
    /// An encrypted OpenPGP message starts with a public-key (tag 1) or symmetric-key (tag 3)
    /// encrypted session key packet; both packet formats are accepted, and the version and
    /// algorithm fields must be plausible.
    static func probe(_ b: UnsafeRawBufferPointer, complete: Bool) -> ProbeResult {
        let short: ProbeResult = complete ? .none : .needMore
        guard b.count >= 1 else { return short }
        let b0 = b[0]
        guard b0 & 0x80 != 0 else { return .none }
        let tag: UInt8
        var bodyLength: Int
        var at: Int
        if b0 & 0x40 != 0 {  // new format
            tag = b0 & 0x3F
            guard tag == 1 || tag == 3 else { return .none }
            guard b.count >= 2 else { return short }
            let l0 = Int(b[1])
            if l0 < 192 {
                bodyLength = l0; at = 2
            } else if l0 < 224 {
                guard b.count >= 3 else { return short }
                bodyLength = ((l0 - 192) << 8) + Int(b[2]) + 192; at = 3
            } else if l0 == 255 {
                guard b.count >= 6 else { return short }
                bodyLength = Int(b[2]) << 24 | Int(b[3]) << 16 | Int(b[4]) << 8 | Int(b[5]); at = 6
            } else {
                return .none  // partial lengths are not allowed for session key packets
            }
        } else {  // old format
            tag = (b0 >> 2) & 0x0F
            guard tag == 1 || tag == 3 else { return .none }
            switch b0 & 3 {
            case 0:
                guard b.count >= 2 else { return short }
                bodyLength = Int(b[1]); at = 2
            case 1:
                guard b.count >= 3 else { return short }
                bodyLength = Int(b[1]) << 8 | Int(b[2]); at = 3
            case 2:
                guard b.count >= 5 else { return short }
                bodyLength = Int(b[1]) << 24 | Int(b[2]) << 16 | Int(b[3]) << 8 | Int(b[4]); at = 5
            default:
                return .none
            }
        }
        guard bodyLength >= 4, bodyLength <= 8192 else { return .none }
        guard b.count >= at + 4 else { return short }
        let version = b[at]
        let symmetric: ClosedRange<UInt8> = 1...13
        if tag == 1 {
            switch version {
            case 3:
                // version, 8-byte key id, public-key algorithm
                guard bodyLength >= 12 else { return .none }
                guard b.count >= at + 10 else { return short }
                let algo = b[at + 9]
                switch algo {
                case 1, 2, 3, 16, 18, 22, 25, 26: return .kind(.pgpMIME)  // RSA, Elgamal, ECDH, X25519/X448
                default: return .none
                }
            case 6:
                return bodyLength >= 12 ? .kind(.pgpMIME) : .none
            default:
                return .none
            }
        }
        switch version {
        case 4:  // version, cipher, S2K specifier (type first)
            let s2k = b[at + 2]  // simple, salted, iterated+salted, Argon2
            return symmetric.contains(b[at + 1]) && (s2k <= 1 || s2k == 3 || s2k == 4) ? .kind(.pgpMIME) : .none
        case 5:  // version, cipher, AEAD mode, S2K
            return symmetric.contains(b[at + 1]) && (1...3).contains(b[at + 2]) ? .kind(.pgpMIME) : .none
        case 6:  // version, count, cipher, AEAD mode
            return symmetric.contains(b[at + 2]) && (1...3).contains(b[at + 3]) ? .kind(.pgpMIME) : .none
        default:
            return .none
        }
    }
}
