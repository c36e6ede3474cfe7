// libFuzzer harness for SealDetect's ContentSniffer: the byte-level detectors
// (CMS, OpenPGP, ZIP walk, OLE directory, PDF trailer, armor, envelope) that read
// attacker-controlled attachment bytes. Built by ../run.sh with
// swiftc -sanitize=fuzzer,address against Sources/SealDetect directly.
//
// Input layout: byte 0 = the part's label (index into `labels`), byte 1 = chunk
// size (1...256), byte 2 = the inspection limit (index into `limits`), the rest =
// the part's decoded bytes.
//
// Each input is sniffed twice, whole and in chunks, each time fed only while the
// sniffer wants more (as the engine does). The harness traps when the two results
// differ (detection must not depend on how the MTA chunks the body); ASan and
// Swift's own checks catch memory errors and overflows.

let labels: [PartLabel] = [
    PartLabel(mediaType: "application/octet-stream"),
    PartLabel(mediaType: "application/octet-stream", filename: "file.pgp"),
    PartLabel(mediaType: "text/plain"),
    PartLabel(mediaType: "text/html"),
    PartLabel(mediaType: "application/pdf", filename: "a.pdf"),
    PartLabel(mediaType: "application/zip", filename: "a.zip"),
    PartLabel(mediaType: "application/pkcs7-mime", parameters: ["smime-type": "enveloped-data"]),
    PartLabel(mediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", filename: "a.docx"),
    PartLabel(mediaType: "application/x-microsoft-rpmsg-message", filename: "message.rpmsg"),
    PartLabel(mediaType: "image/png", filename: "envelope.html"),
]
let limits = [64, 1024, 4096, 1 << 20]

func sniff(_ data: UnsafeRawBufferPointer, label: PartLabel, limit: Int, chunk: Int) -> UnscannableSet {
    var s = ContentSniffer(label: label, maxBytes: limit)
    var pos = 0
    while pos < data.count && s.wantsMore {
        let end = min(data.count, pos + chunk)
        s.feed(UnsafeRawBufferPointer(rebasing: data[pos..<end]))
        pos = end
    }
    s.finish()
    return s.found
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count >= 3 else { return 0 }
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let label = labels[Int(input[0]) % labels.count]
    let chunk = Int(input[1]) + 1
    let limit = limits[Int(input[2]) % limits.count]
    let data = UnsafeRawBufferPointer(rebasing: input[3...])
    let whole = sniff(data, label: label, limit: limit, chunk: max(data.count, 1))
    let split = sniff(data, label: label, limit: limit, chunk: chunk)
    precondition(whole == split, "split invariance: whole \(whole) vs chunks of \(chunk): \(split)")
    return 0
}
