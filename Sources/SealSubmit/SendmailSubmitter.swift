#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Submits through the MTA's `sendmail` interface: `PATH -G -i -f SENDER -- RCPT...`,
/// the message on standard input with LF line ends. Success is exit status 0 (the
/// MTA has queued it); the MTA gives no queue ID this way.
public struct SendmailSubmitter: Submitter {
    public var path: String
    /// For the whole submission; the process is killed after it.
    public var timeout: Duration

    public init(path: String, timeout: Duration = .seconds(60)) {
        self.path = path; self.timeout = timeout
    }

    public func submit(sender: String, recipients: [String], header: [UInt8],
                       body: () throws -> [UInt8]?) throws(SubmitError) -> String {
        guard !recipients.isEmpty else { throw .refused("no recipients") }
        for a in recipients where a.hasPrefix("-") { throw .refused("recipient address starts with '-'") }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .unavailable("pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addclose(&actions, fds[1])
        posix_spawn_file_actions_addclose(&actions, fds[0])
        // Nothing else of the daemon's (milter connections, spool files) goes to the
        // child: glibc 2.34+ closes the rest (not in Swift's Glibc module: looked up).
        if let f = SendmailSubmitter.addCloseFrom { _ = f(&actions, 3) }
        let args = [path, "-G", "-i", "-f", sender, "--"] + recipients
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, &cargs, environ)
        Glibc.close(fds[0])
        if rc != 0 {
            Glibc.close(fds[1])
            throw .unavailable("\(path): \(String(cString: strerror(rc)))")
        }
        let deadline = ContinuousClock.now + timeout
        var writeError: SubmitError? = nil
        func write(_ bytes: [UInt8]) -> Bool {
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(fds[1], $0.baseAddress! + off, bytes.count - off) }
                if n < 0 {
                    if errno == EINTR { continue }
                    writeError = .io("\(path): write: \(String(cString: strerror(errno)))")
                    return false
                }
                off += n
            }
            return true
        }
        // SIGPIPE would kill the daemon if sendmail exits early: the daemon ignores it
        // (libmilter does); EPIPE is then an error here.
        var lf = LFEncoder()
        var out: [UInt8] = []
        lf.encode(header, into: &out)
        lf.finish(into: &out)
        out.append(10)
        var ok = write(out)
        while ok {
            let chunk: [UInt8]?
            do { chunk = try body() } catch { writeError = .input("\(error)"); break }
            guard let chunk else { break }
            out.removeAll(keepingCapacity: true)
            lf.encode(chunk, into: &out)
            ok = write(out)
        }
        if ok && writeError == nil { out.removeAll(); lf.finish(into: &out); _ = write(out) }
        Glibc.close(fds[1])
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw .io("\(path): waitpid: \(String(cString: strerror(errno)))") }
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL); _ = waitpid(pid, &status, 0)
                throw .io("\(path): timed out")
            }
            usleep(2000)
        }
        if let writeError { throw writeError }
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            throw .refused("\(path) " + (exited ? "exited with status \(code)" : "was killed by signal \(status & 0x7f)"))
        }
        return ""
    }
}

extension SendmailSubmitter {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    static let addCloseFrom: AddCloseFrom? = {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(sym, to: AddCloseFrom.self)
    }()
}

/// CRLF to LF (the sendmail interface wants local line ends); bare CR kept.
struct LFEncoder {
    private var pendingCR = false
    /// Whether the output so far ends a line (or is empty).
    private(set) var atLineStart = true
    mutating func encode(_ chunk: [UInt8], into out: inout [UInt8]) {
        for b in chunk {
            if pendingCR {
                pendingCR = false
                if b == 10 { out.append(10); atLineStart = true; continue }
                out.append(13); atLineStart = false
            }
            if b == 13 { pendingCR = true; continue }
            out.append(b)
            atLineStart = b == 10
        }
    }
    mutating func finish(into out: inout [UInt8]) {
        if pendingCR { out.append(13); pendingCR = false; atLineStart = false }
        if !atLineStart { out.append(10); atLineStart = true }
    }
}
