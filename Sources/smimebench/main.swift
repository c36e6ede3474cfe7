// smimebench — S/MIME outbound through the engine, for Benchmarks/smime/run.sh:
// a policy with the smime: section and one rule (sign, encrypt or sign+encrypt),
// then a message through a Session per iteration, the replacement body read to
// the end. Prints messages per second.
//
//   smimebench --policy FILE --message FILE --iterations N [--seconds S] [--unchanged yes | --baseline yes]
// The message is read from its file in chunks each time; peak_rss_kb shows the
// memory bound (spool.memory_limit, then private temporary files).
import Foundation
import SealEngine
import SealSMIME

func fail(_ s: String) -> Never { FileHandle.standardError.write(Data("smimebench: \(s)\n".utf8)); exit(2) }
var args = Array(CommandLine.arguments.dropFirst())
var policyFile = "", messageFile = "", iterations = 20, seconds = 0.0
// --unchanged yes: the body may stay as it is (inbound verification, Benchmarks/smime/inbound.sh);
// --baseline yes: a policy that changes no body, the engine's own cost (Benchmarks/smime/run.sh).
var unchangedOK = false
while !args.isEmpty {
    let a = args.removeFirst()
    guard !args.isEmpty else { fail("\(a) needs a value") }
    let v = args.removeFirst()
    switch a {
    case "--policy": policyFile = v
    case "--message": messageFile = v
    case "--iterations": iterations = Int(v) ?? 20
    case "--seconds": seconds = Double(v) ?? 0
    case "--unchanged": unchangedOK = v == "yes"
    case "--baseline": unchangedOK = v == "yes"
    default: fail("unknown option \(a)")
    }
}
var registry = Registry.builtin
SMIMEModule.register(&registry)
let engine: Engine
do { engine = try Engine(policyPath: policyFile, registry: registry) } catch { fail("\(error)") }
let buffer = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)

@MainActor func once() -> Int {
    let s = Session(engine: engine)
    // The envelope as the daemon hands it over (sealmilter_session_mail_from and
    // _rcpt, the C interface over these calls): MAIL FROM, then each RCPT TO.
    let m = s.mailFrom("<alice@int.test>")
    if m != .continue && m != .accept { fail("the engine said \(m) at MAIL: \(s.logLine)") }
    let r = s.rcpt("<rsa@ext.test>")
    if r != .continue { fail("the engine said \(r) at RCPT <rsa@ext.test>: \(s.logLine)") }
    // The message streams from the file in 64 KiB chunks (a milter gets it that way).
    let fd = open(messageFile, O_RDONLY)
    if fd < 0 { fail("cannot read \(messageFile)") }
    while true {
        let n = read(fd, buffer, 64 * 1024)
        if n <= 0 { break }
        _ = s.raw(UnsafeRawBufferPointer(start: buffer, count: n))
    }
    close(fd)
    let d = s.endOfMessage()
    if d != .accept && d != .continue { fail("the engine said \(d): \(s.logLine)") }
    var out = 0
    while let c = try? s.readReplacementBody() { out += c.count }
    if out == 0 && !unchangedOK { fail("no replacement body: \(s.logLine)") }
    return out
}
_ = once()  // warm-up: loads the identity, the trust store, the certificate
let t0 = Date()
var n = 0, outBytes = 0
repeat {
    outBytes += once(); n += 1
} while n < iterations || Date().timeIntervalSince(t0) < seconds
let dt = Date().timeIntervalSince(t0)
var usage = rusage()
getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
print(String(format: "smimebench messages=%d seconds=%.3f per_second=%.2f out_bytes=%d peak_rss_kb=%ld", n, dt, Double(n) / dt, outBytes / n, usage.ru_maxrss))
