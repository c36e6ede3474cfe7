// sealbench: engine throughput and memory, for Benchmarks/run-parser-bench.sh.
//
//   sealbench --mode policy|decode-all [--iterations N] FILES...
//       Streams each file through the engine in 64 KiB chunks (read(2) into one
//       buffer, as a milter receives data) and prints
//       "sealbench mode=M bytes=B seconds=S mbps=X peak_rss_kb=K".
//       policy:     the engine with a realistic policy (flag unscannable content,
//                   one body keyword rule): text parts decoded, attachments
//                   scanned for delimiters and sniffed.
//       decode-all: the same engine, every part decoded in full (what GMime,
//                   fast-mail-parser and Python's email do).
//       --policy FILE: this policy instead of the built-in one (e.g. the pattern benchmark's
//       policies written by Benchmarks/make_policies.py); the line then ends in policy=FILE.
//   sealbench --mode matchers [--text-mb N]
//       Text-matcher throughput on a generated text (no MIME): one keyword (Hyperscan, and the
//       memchr search it replaced, for reference), the hostile expressions of issue 8 on their
//       inputs, 1000 expressions as one TextMatcher, as 1000 TextMatchers, and as a
//       TextMatcherSet (block and stream mode); one line per case, compile times included.
//   sealbench --mode detectors [--text-mb N] [--text-file FILE]
//       The sensitive-information detectors on text alone (DetectorBench.swift): every
//       built-in type and two custom ones in one scan of a generated text of realistic
//       density; GB/s with validation, and of the Hyperscan pass alone.
//   sealbench --stream-gb N [--mode M] [--max-rss-mb M]
//       Streams a generated N GB message (base64 attachment, text, nested parts)
//       through the engine in 64 KiB chunks; prints bytes, MB/s and peak RSS; exits 1
//       if peak RSS exceeds M MB.
import Foundation
import Glibc
import SealEngine
import SealPattern
import SealPolicy
import SealSensitive

let policyText = """
    flag_unscannable: true
    rules:
      - name: bench-keyword
        when:
          body: {contains: ["sealmilter-benchmark-keyword"]}
        actions:
          - add_header: {name: X-Bench, value: hit}
    """

func peakRSSKB() -> Int {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return u.ru_maxrss
}

/// Wall-clock seconds; with SEALBENCH_CPU_TIME set, this thread's CPU seconds instead
/// (steadier on a loaded machine when comparing variants; the reported figures are wall).
let cpuClock = ProcessInfo.processInfo.environment["SEALBENCH_CPU_TIME"] != nil
func now() -> Double {
    var t = timespec()
    clock_gettime(cpuClock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

func value(_ args: inout [String], _ flag: String) -> String {
    if args.isEmpty { fail("\(flag) needs a value") }
    return args.removeFirst()
}

func fail(_ s: String) -> Never {
    FileHandle.standardError.write(Data("sealbench: \(s)\n".utf8))
    exit(2)
}

var args = Array(CommandLine.arguments.dropFirst())
var mode = "policy"
var iterations = 1
var streamGB: Double? = nil
var maxRSSMB: Int? = nil
var files: [String] = []
var policyFile: String? = nil
var textMB = 4
var textFile: String? = nil
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--mode": mode = value(&args, a)
    case "--iterations": guard let v = Int(value(&args, a)) else { fail("--iterations needs a number") }; iterations = v
    case "--stream-gb": guard let v = Double(value(&args, a)) else { fail("--stream-gb needs a number") }; streamGB = v
    case "--policy": policyFile = value(&args, a)
    case "--text-mb": guard let v = Int(value(&args, a)) else { fail("--text-mb needs a number") }; textMB = v
    case "--text-file": textFile = value(&args, a)
    case "--max-rss-mb": guard let v = Int(value(&args, a)) else { fail("--max-rss-mb needs a number") }; maxRSSMB = v
    case "-h", "--help":
        print("usage: sealbench --mode policy|decode-all [--iterations N] [--policy FILE] FILES...\n       sealbench --mode matchers|detectors [--text-mb N] [--text-file FILE]\n       sealbench --stream-gb N [--max-rss-mb M]")
        exit(0)
    default: files.append(a)
    }
}
if mode == "matchers" { runMatcherBench(textMB: textMB); exit(0) }
if mode == "detectors" { runDetectorBench(textMB: textMB, textFile: textFile); exit(0) }
/// The engine's conditions plus the feature modules the benchmark policies use.
let registry: Registry = {
    var r = Registry.builtin
    r.register(condition: SensitiveCondition.self)
    r.register(feature: SensitiveTypes.self)
    return r
}()
guard mode == "policy" || mode == "decode-all" else { fail("unknown mode \(mode)") }
let policy: Policy
do {
    if let policyFile {
        guard let text = try? String(contentsOfFile: policyFile, encoding: .utf8) else { fail("cannot read \(policyFile)") }
        let t0 = now()
        policy = try Policy.parse(yaml: text, file: policyFile, registry: registry)
        FileHandle.standardError.write(Data(String(format: "sealbench: policy %@ loaded in %.3f s\n", policyFile, now() - t0).utf8))
    } else {
        policy = try Policy.parse(yaml: policyText, file: "<sealbench>")
    }
} catch { fail("\(error)") }
let engine = Engine(policy: policy)
let chunkSize = 64 * 1024
let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 64)

if let gb = streamGB {
    // A generated message: headers, a text part, a nested multipart, and one large
    // base64 attachment making up the rest, produced chunk by chunk.
    let total = Int64(gb * 1024 * 1024 * 1024)
    let s = Session(engine: engine, decodeAll: mode == "decode-all")
    _ = s.mailFrom("<bench@example.org>")
    _ = s.rcpt("<to@example.com>")
    for (n, v) in [("From", "bench@example.org"), ("To", "to@example.com"), ("Subject", "stream"),
                   ("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed; boundary=\"outer\"")] { _ = s.header(name: n, value: v) }
    _ = s.endOfHeaders()
    let head = "--outer\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, this is the text.\r\n"
        + "--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--inner--\r\n"
        + "--outer\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    let tail = "\r\n--outer--\r\n"
    // One 64 KiB block of base64 lines (76 chars + CRLF), reused.
    var line = [UInt8]()
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var block = [UInt8]()
    var k = 0
    while block.count + 78 <= chunkSize {
        line.removeAll(keepingCapacity: true)
        for _ in 0..<76 { line.append(alphabet[(k * 7 + 3) % 64]); k += 1 }
        block += line + [13, 10]
    }
    let t0 = now()
    var sent: Int64 = 0
    _ = head.utf8.withContiguousStorageIfAvailable { s.body(UnsafeRawBufferPointer($0)) }
    sent += Int64(head.utf8.count)
    block.withUnsafeBytes { b in
        while sent + Int64(b.count) < total - Int64(tail.utf8.count) {
            _ = s.body(b)
            sent += Int64(b.count)
        }
    }
    _ = tail.utf8.withContiguousStorageIfAvailable { s.body(UnsafeRawBufferPointer($0)) }
    sent += Int64(tail.utf8.count)
    _ = s.endOfMessage()
    let dt = now() - t0
    let rss = peakRSSKB()
    print(String(format: "sealbench stream mode=%@ bytes=%lld seconds=%.3f mbps=%.1f peak_rss_kb=%d parts=%d log=\"%@\"",
                 mode, sent, dt, Double(sent) / dt / 1e6, rss, s.report?.parts.count ?? 0, s.logLine))
    if let m = maxRSSMB, rss > m * 1024 {
        FileHandle.standardError.write(Data("sealbench: peak RSS \(rss / 1024) MB exceeds \(m) MB\n".utf8))
        exit(1)
    }
    exit(0)
}

guard !files.isEmpty else { fail("no files (see --help)") }
var totalBytes: Int64 = 0
var decodedBytes: Int64 = 0   // decode-all: bytes after transfer decoding, to compare with the references
let t0 = now()
for _ in 0..<iterations {
    for f in files {
        let fd = open(f, O_RDONLY)
        if fd < 0 { fail("cannot open \(f)") }
        let s = Session(engine: engine, decodeAll: mode == "decode-all")
        _ = s.mailFrom("<bench@example.org>")
        _ = s.rcpt("<to@example.com>")
        while true {
            let n = read(fd, buffer, chunkSize)
            if n <= 0 { break }
            totalBytes += Int64(n)
            _ = s.raw(UnsafeRawBufferPointer(start: buffer, count: n))
        }
        close(fd)
        _ = s.endOfMessage()
        if mode == "decode-all", let r = s.report {
            decodedBytes += r.parts.reduce(0) { $0 + ($1.leaf ? $1.decoded_size : 0) }
        }
    }
}
let dt = now() - t0
print(String(format: "sealbench mode=%@ bytes=%lld seconds=%.3f mbps=%.1f peak_rss_kb=%d decoded_bytes=%lld",
             mode, totalBytes, dt, Double(totalBytes) / dt / 1e6, peakRSSKB(), mode == "decode-all" ? decodedBytes : -1)
      + (policyFile.map { " policy=" + ($0.split(separator: "/").last.map(String.init) ?? $0) } ?? ""))
