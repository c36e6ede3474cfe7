import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small SMTP server on a free loopback port, in a thread of the test process:
/// it answers like Postfix's smtpd (`250 2.0.0 Ok: queued as ID`) and records each
/// transaction, or refuses with `refuse` at the command it names.
final class FakeSMTPServer: @unchecked Sendable {
    struct Transaction { var sender: String; var recipients: [String]; var data: [UInt8] }
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var _transactions: [Transaction] = []
    private var counter = 0
    /// Refuse this command ("MAIL", "RCPT", "DATA", "." for end of data) with 451.
    let refuse: String?

    var transactions: [Transaction] { lock.lock(); defer { lock.unlock() }; return _transactions }

    init(refuse: String? = nil) throws {
        self.refuse = refuse
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard ok == 0, listen(fd, 8) == 0 else { throw POSIXError(.EADDRINUSE) }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: bound.sin_port))
        let t = Thread { [self] in self.serve() }
        t.start()
    }

    private var stopped = false

    /// Stops accepting. The listening socket is shut down here but closed by the
    /// server's thread once it has left `accept`, so that its descriptor number is
    /// never reused by another test's socket while this thread may still accept on it.
    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
    }

    private func serve() {
        defer { close(fd) }
        while true {
            lock.lock(); let done = stopped; lock.unlock()
            if done { return }
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            handle(c)
            close(c)
        }
    }

    private func handle(_ c: Int32) {
        var buf: [UInt8] = []
        func send(_ s: String) { let b = Array((s + "\r\n").utf8); _ = b.withUnsafeBytes { Glibc.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        func line() -> [UInt8]? {
            while true {
                if let i = buf.firstIndex(of: 10) { let l = Array(buf[..<i]); buf.removeSubrange(...i); return l }
                var chunk = [UInt8](repeating: 0, count: 4096)
                let n = chunk.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return nil }
                buf += chunk[..<n]
            }
        }
        send("220 fake.test ESMTP")
        var t = Transaction(sender: "", recipients: [], data: [])
        while let raw = line() {
            let l = String(decoding: raw.last == 13 ? raw.dropLast() : raw[...], as: UTF8.self)
            let verb = l.prefix(4).uppercased()
            if verb == refuse { send("451 4.3.0 refused by the test"); continue }
            switch verb {
            case "EHLO": send("250-fake.test"); send("250 PIPELINING")
            case "MAIL": t.sender = String(l.drop { $0 != "<" }.dropFirst().prefix { $0 != ">" }); send("250 2.1.0 Ok")
            case "RCPT": t.recipients.append(String(l.drop { $0 != "<" }.dropFirst().prefix { $0 != ">" })); send("250 2.1.5 Ok")
            case "DATA":
                send("354 End data with <CR><LF>.<CR><LF>")
                var data: [UInt8] = []
                while let d = line() {
                    if d == [46, 13] { break }
                    data += d; data.append(10)
                }
                t.data = data
                if refuse == "." { send("451 4.3.0 refused by the test"); continue }
                lock.lock(); counter += 1; let id = "FAKE\(counter)"; _transactions.append(t); lock.unlock()
                send("250 2.0.0 Ok: queued as \(id)")
                t = Transaction(sender: "", recipients: [], data: [])
            case "QUIT": send("221 2.0.0 Bye"); return
            default: send("502 5.5.2 Error")
            }
        }
    }
}
