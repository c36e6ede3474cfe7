/// Walks a ZIP archive's local file headers as the bytes stream by, skipping each entry's
/// compressed data by count (nothing is buffered beyond one 30-byte header). An entry whose
/// general-purpose bit 0 is set, or whose method is 99 (WinZip AES), makes it encrypted.
///
/// When an entry's size is not in its local header (bit 3 with zero sizes, or ZIP64), or the
/// walk meets something it does not expect, it falls back to scanning the rest of the stream
/// for central directory headers (`PK\1\2`), whose flags and method say the same.
/// Reaching the central directory or end record by walking means every entry was seen.
struct ZipWalker: Sendable {
    private enum State: Sendable {
        case signature       // collecting 4 bytes of a record signature
        case local           // collecting the rest of a 30-byte local header
        case descriptor      // collecting the first 4 bytes after a bit-3 entry's data
        case skip            // skipping `skipRemaining` bytes, then `afterSkip`
        case scan            // fallback: looking for encrypted central directory headers
        case done
    }

    private var state: State = .signature
    private var afterSkip: State = .signature
    private var skipRemaining = 0
    private var header = InlineArray<32, UInt8>(repeating: 0)
    private var have = 0
    private var need = 4
    private var scanner = CarryScanner()
    private(set) var encrypted = false

    var isDone: Bool { if case .done = state { return true } else { return false } }

    mutating func feed(_ chunk: UnsafeRawBufferPointer) {
        var p = 0
        let n = chunk.count
        while p < n {
            switch state {
            case .done:
                return
            case .skip:
                let k = min(skipRemaining, n - p)
                p += k
                skipRemaining -= k
                if skipRemaining == 0 { enter(afterSkip) }
            case .scan:
                let rest = UnsafeRawBufferPointer(rebasing: chunk[p...])
                if Sig.zipCentral.withUnsafeBytes({ scanner.feed(rest, needle: $0, verify: Sig.verifyZipCentralEncrypted) }) {
                    encrypted = true
                    state = .done
                }
                return
            case .signature, .local, .descriptor:
                let k = min(need - have, n - p)
                var span = header.mutableSpan
                let at = have
                span.withUnsafeMutableBytes { d in
                    (d.baseAddress! + at).copyMemory(from: chunk.baseAddress! + p, byteCount: k)
                }
                have += k
                p += k
                if have == need { complete() }
            }
        }
    }

    mutating func finish() {
        if case .scan = state {
            if Sig.zipCentral.withUnsafeBytes({ scanner.finish(needle: $0, verify: Sig.verifyZipCentralEncrypted) }) {
                encrypted = true
            }
        }
        state = .done
    }

    private mutating func enter(_ next: State) {
        state = next
        have = 0
        switch next {
        case .signature, .descriptor: need = 4
        default: break
        }
    }

    private mutating func skip(_ count: Int, then next: State) {
        if count <= 0 {
            enter(next)
        } else {
            skipRemaining = count
            afterSkip = next
            state = .skip
        }
    }

    /// A collected header is complete: act on it.
    private mutating func complete() {
        let h = header  // 32 bytes, copied on the stack
        h.span.withUnsafeBytes { b in
            switch state {
            case .signature:
                switch b.le32(0) {
                case 0x0403_4B50:
                    state = .local
                    need = 30       // keep the 4 signature bytes
                case 0x0201_4B50, 0x0605_4B50, 0x0606_4B50:
                    state = .done   // central directory or end record: every entry was walked
                case 0x0807_4B50:
                    skip(12, then: .signature)  // a stray data descriptor with signature
                default:
                    state = .scan
                }
            case .local:
                let flags = b.le16(6)
                let method = b.le16(8)
                let compressed = b.le32(18)
                let names = b.le16(26) + b.le16(28)
                if flags & 1 != 0 || method == 99 {
                    encrypted = true
                    state = .done
                } else if compressed == 0xFFFF_FFFF || (flags & 8 != 0 && compressed == 0) {
                    skip(names, then: .scan)
                } else {
                    skip(names + compressed, then: flags & 8 != 0 ? .descriptor : .signature)
                }
            case .descriptor:
                if b.le32(0) == 0x0807_4B50 {
                    skip(12, then: .signature)  // crc, sizes after the signature
                } else {
                    skip(8, then: .signature)   // these 4 were the crc
                }
            default:
                break
            }
        }
    }
}
