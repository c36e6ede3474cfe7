#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Submits over SMTP to a local listener (for Postfix a dedicated `smtpd` service
/// on loopback): EHLO, MAIL FROM, RCPT TO for each recipient, DATA, QUIT, each
/// step with a timeout. Every recipient must be accepted, or nothing is sent.
public struct SMTPSubmitter: Submitter {
    public var host: String
    public var port: Int
    /// For each read, write and the connection itself.
    public var timeout: Duration
    /// The name said in EHLO.
    public var heloName: String

    public init(host: String, port: Int, timeout: Duration = .seconds(30), heloName: String = "sealmilter.localhost") {
        self.host = host; self.port = port; self.timeout = timeout; self.heloName = heloName
    }

    public func submit(sender: String, recipients: [String], header: [UInt8],
                       body: () throws -> [UInt8]?) throws(SubmitError) -> String {
        guard !recipients.isEmpty else { throw .refused("no recipients") }
        for a in [sender] + recipients where a.utf8.contains(where: { $0 <= 0x20 || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == 0x7f }) {
            throw .refused("address with spaces, angle brackets or control characters")
        }
        let c = try Connection(host: host, port: port, timeout: timeout)
        defer { c.close() }
        try c.expect("greeting", "2")
        try c.command("EHLO \(heloName)", "2")
        try c.command("MAIL FROM:<\(sender)>", "2")
        for r in recipients { try c.command("RCPT TO:<\(r)>", "2") }
        try c.command("DATA", "3")
        var enc = DataEncoder()
        var out: [UInt8] = []
        enc.encode(header, into: &out)
        enc.endHeader(into: &out)
        try c.send(out)
        while true {
            let chunk: [UInt8]?
            do { chunk = try body() } catch { throw .input("\(error)") }
            guard let chunk else { break }
            out.removeAll(keepingCapacity: true)
            enc.encode(chunk, into: &out)
            if !out.isEmpty { try c.send(out) }
        }
        out.removeAll(keepingCapacity: true)
        enc.finish(into: &out)
        try c.send(out)
        let reply = try c.expect("end of data", "2")
        _ = try? c.command("QUIT", "2")
        return Self.queueID(in: reply)
    }

    /// The queue ID in a reply such as `250 2.0.0 Ok: queued as 4XyZ12` ("" when none).
    public static func queueID(in reply: String) -> String {
        let b = Array(reply.utf8), key = Array("queued as ".utf8)
        guard b.count >= key.count else { return "" }
        for i in 0...(b.count - key.count) where Array(b[i..<(i + key.count)]) == key {
            let id = b[(i + key.count)...].prefix { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
            return String(decoding: id, as: UTF8.self)
        }
        return ""
    }
}

/// One blocking TCP connection with read/write timeouts.
final class Connection {
    private var fd: Int32
    private var buffer: [UInt8] = []
    let peer: String

    init(host: String, port: Int, timeout: Duration) throws(SubmitError) {
        peer = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var res: UnsafeMutablePointer<addrinfo>? = nil
        let rc = getaddrinfo(host, String(port), &hints, &res)
        guard rc == 0, let first = res else {
            throw .unavailable("\(peer): cannot resolve: \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(res) }
        var tv = timeval(tv_sec: Int(timeout.components.seconds),
                         tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        if tv.tv_sec == 0 && tv.tv_usec == 0 { tv.tv_usec = 1000 }
        var lastError = "no address"
        var ai: UnsafeMutablePointer<addrinfo>? = first
        fd = -1
        while let a = ai {
            let s = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if s >= 0 {
                setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if connect(s, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { fd = s; break }
                lastError = String(cString: strerror(errno))
                Glibc.close(s)
            } else {
                lastError = String(cString: strerror(errno))
            }
            ai = a.pointee.ai_next
        }
        if fd < 0 { throw .unavailable("\(peer): \(lastError)") }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    func send(_ bytes: [UInt8]) throws(SubmitError) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("\(peer): write: \(errno == EAGAIN ? "timed out" : String(cString: strerror(errno)))")
            }
            off += n
        }
    }

    /// One line without its CRLF.
    private func line() throws(SubmitError) -> String {
        while true {
            if let lf = buffer.firstIndex(of: 10) {
                var l = Array(buffer[..<lf])
                buffer.removeSubrange(...lf)
                if l.last == 13 { l.removeLast() }
                return String(decoding: l, as: UTF8.self)
            }
            if buffer.count > 64 * 1024 { throw .io("\(peer): reply line too long") }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("\(peer): read: \(errno == EAGAIN ? "timed out" : String(cString: strerror(errno)))")
            }
            if n == 0 { throw .io("\(peer): connection closed by the server") }
            buffer += chunk[..<n]
        }
    }

    /// A whole (possibly multi-line) reply, which must begin with `cls`; returns its last line.
    @discardableResult
    func expect(_ what: String, _ cls: Character) throws(SubmitError) -> String {
        var text: [String] = []
        while true {
            let l = try line()
            text.append(l)
            let b = Array(l.utf8)
            guard b.count >= 3, b[0...2].allSatisfy({ (48...57).contains($0) }) else {
                throw .io("\(peer): not an SMTP reply after \(what): \(Self.clip(l))")
            }
            if b.count == 3 || b[3] == UInt8(ascii: " ") {
                if l.first != cls { throw .refused("\(what): \(Self.clip(text.joined(separator: " / ")))") }
                return l
            }
        }
    }

    @discardableResult
    func command(_ line: String, _ cls: Character) throws(SubmitError) -> String {
        try send(Array((line + "\r\n").utf8))
        let verb = line.hasPrefix("RCPT") || line.hasPrefix("MAIL") ? String(line.prefix(4)) : line
        return try expect(verb, cls)
    }

    static func clip(_ s: String) -> String {
        let t = String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 0x20 || $0 == "\"" ? "_" : $0 }))
        return t.count > 200 ? String(t.prefix(200)) + "..." : t
    }
}
