// envelope-bench — what envelopes cost (docs/benchmarks.md, "Envelopes"). Not a test.
//
//   envelope-bench engine SIZE_BYTES SECONDS ITERATIONS   envelopes built per second through the
//                                                         engine (the encrypt action, dry run: the
//                                                         passcode messages are made, not sent)
//   envelope-bench seal SIZE_BYTES SECONDS                the encryption step alone: ChunkSealer
//                                                         over 64 KiB chunks, bytes per second
//   envelope-bench write SIZE_BYTES SECONDS               the whole page (chunks + base64 lines)
// Prints one line: `name size N per_second X bytes_per_second Y`.
import SealEnvelope
import SealEngine
import SealPolicy
import SealCrypto
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double { var t = timespec(); clock_gettime(CLOCK_MONOTONIC, &t); return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9 }

final class NullSink: ByteSink, @unchecked Sendable { var n = 0; func write(_ b: UnsafeRawBufferPointer) throws { n += b.count } }

/// The benchmark, off the main actor (closures made in top-level code would pay
/// an executor check on every call).
nonisolated func bench(_ args: [String]) throws {
guard args.count >= 4, let size = Int(args[2]), let seconds = Double(args[3]) else {
    print("usage: envelope-bench engine|seal|write SIZE SECONDS [ITERATIONS]"); exit(2)
}
let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
let org = try P256Key.generate()

func report(_ name: String, _ n: Int, _ elapsed: Double, _ bytes: Double) {
    print("\(name) size \(size) n \(n) per_second \(Double(n) / elapsed) bytes_per_second \(bytes / elapsed)")
}

switch args[1] {
case "seal":
    var n = 0, bytes = 0.0
    let t0 = now()
    while now() - t0 < seconds {
        let sink = NullSink()
        let s = try EnvelopeBench.sealer(key: [UInt8](repeating: 1, count: 32), id: [UInt8](repeating: 2, count: 16)) { try sink.write($0) }
        try payload.withUnsafeBytes { try s.write($0) }
        try s.finish()
        n += 1; bytes += Double(size)
    }
    report("seal", n, now() - t0, bytes)
case "write":
    var n = 0, bytes = 0.0
    let template = try PageTemplate.builtin()
    var spec = EnvelopeSpec(recipients: [.init(address: "bob@example.com", passcode: "ABCDE-FGHJK-LMNPQ-RSTUV")], recovery: org)
    spec.iterations = EnvelopeFormat.minimumIterations
    let t0 = now()
    while now() - t0 < seconds {
        var sent = false
        _ = try EnvelopeWriter.write(spec, template: template, messageSize: Int64(size),
                                     message: { if sent { return nil }; sent = true; return payload }, to: NullSink(), eol: [13, 10])
        n += 1; bytes += Double(size)
    }
    report("write", n, now() - t0, bytes)
case "engine":
    let iterations = args.count > 4 ? Int(args[4]) ?? 600_000 : 600_000
    let dir = "/tmp/envelope-bench-\(getpid())"
    mkdir(dir, 0o700)
    func put(_ name: String, _ s: String) { let fd = open(dir + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o600); try! FileSink(fd: fd).write(s); close(fd) }
    put("org.pem", try org.privatePEM()); put("reply", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==\n"); put("marker", "bWFya2VyLW1hcmtlci1tYXJrZXI=\n")
    defer { for f in ["org.pem", "reply", "marker"] { unlink(dir + "/" + f) }; rmdir(dir) }
    let yaml = """
        internal_domains: [int.test]
        keys: {org: \(dir)/org.pem, reply: \(dir)/reply, marker: \(dir)/marker}
        spool: {directory: /tmp}
        submission: {method: smtp, host: 127.0.0.1, port: 1, marker_key: marker, notice_sender: postmaster@int.test}
        envelope: {recovery_key: org, reply_secret: reply, iterations: \(iterations)}
        rules:
          - name: enc
            when: {direction: outbound}
            actions: [encrypt]
        """
    var registry = Registry.builtin
    registry.register(feature: EnvelopeSettings.self)
    registry.register(action: EncryptAction.self)
    let engine = Engine(policy: try Policy.parse(yaml: yaml, file: "bench.yaml", registry: registry))
    let head = Array("From: alice@int.test\r\nTo: bob@example.com\r\nSubject: bench\r\nMessage-ID: <b@int.test>\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8)
    // The body as base64 lines, as mail carries an attachment.
    var body: [UInt8] = []
    let b64 = Array(Base64.encode(payload).utf8)
    var i = 0
    while body.count < size { let e = min(i + 76, b64.count); body += b64[i..<e] + [13, 10]; i = e; if i >= b64.count { i = 0 } }
    body.removeLast(body.count - size)
    let message = head + body
    var n = 0, out = 0.0
    let t0 = now()
    while now() - t0 < seconds {
        let s = Session(engine: engine, dryRun: true)
        _ = s.mailFrom("<alice@int.test>"); _ = s.rcpt("<bob@example.com>")
        var d = Decision.continue
        var j = 0
        while d == .continue && j < message.count {
            let k = min(65536, message.count - j)
            d = message[j..<(j + k)].withUnsafeBytes { s.raw($0) }; j += k
        }
        if d == .continue { d = s.endOfMessage() }
        guard d == .accept, s.bodyReplaced else { print("engine: not encrypted: \(s.lastError)"); exit(1) }
        while let c = try s.readReplacementBody() { out += Double(c.count) }
        n += 1
    }
    report("engine(iterations=\(iterations))", n, now() - t0, Double(n * message.count))
default:
    print("unknown mode \(args[1])"); exit(2)
}
}

try bench(CommandLine.arguments)
