import Foundation
import SealSMIME
import Testing

/// A private slapd (Debian's package) on a free loopback port, with its own
/// configuration and mdb data directory, filled with test entries by slapadd.
final class Slapd {
    let dir: String
    let port: Int
    let process: Process
    static let suffix = "dc=example,dc=org"
    static let password = "s3cret-bind"

    init(entries: String) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/slapd"),
              FileManager.default.isExecutableFile(atPath: "/usr/sbin/slapadd") else {
            throw ToolFailure(message: "slapd and slapadd (Debian package slapd) are needed for the LDAP test")
        }
        dir = Material.path("slapd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        port = Self.freePort()
        let conf = """
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            modulepath /usr/lib/ldap
            moduleload back_mdb
            pidfile \(dir)/slapd.pid
            database mdb
            maxsize 16777216
            suffix "\(Self.suffix)"
            rootdn "cn=admin,\(Self.suffix)"
            rootpw \(Self.password)
            directory \(dir)/data
            access to * by * read
            """
        try conf.write(toFile: dir + "/slapd.conf", atomically: true, encoding: .utf8)
        try entries.write(toFile: dir + "/data.ldif", atomically: true, encoding: .utf8)
        _ = try must(["/usr/sbin/slapadd", "-f", dir + "/slapd.conf", "-l", dir + "/data.ldif"])
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/slapd")
        // -d: stay in the foreground (the test owns the process).
        process.arguments = ["-f", dir + "/slapd.conf", "-h", "ldap://127.0.0.1:\(port)/", "-d", "0"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when the port answers.
        for _ in 0..<100 {
            if Self.connects(port) { return }
            usleep(50_000)
        }
        stop()
        throw ToolFailure(message: "slapd did not listen on 127.0.0.1:\(port)")
    }

    func stop() {
        if process.isRunning {
            // SIGTERM may be blocked in the mask the test runner's thread passed on: SIGKILL after a grace time.
            process.terminate()
            for _ in 0..<20 where process.isRunning { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
    deinit { stop() }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in(); a.sin_family = sa_family_t(AF_INET); a.sin_addr.s_addr = inet_addr("127.0.0.1"); a.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    static func connects(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in(); a.sin_family = sa_family_t(AF_INET); a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
    }
}

@Suite(.serialized) struct LDAPTests {
    static func der(_ pem: String) throws -> Data {
        let b64 = try String(contentsOfFile: Material.path(pem), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return try #require(Data(base64Encoded: b64))
    }

    /// bob: userCertificate;binary; carol: userSMIMECertificate (PKCS#7 certs-only);
    /// nocert: an entry without certificates.
    static func entries() throws -> String {
        let p7 = Material.path("carol.p7")
        _ = try must(["openssl", "crl2pkcs7", "-nocrl", "-certfile", Material.path("carol.pem"), "-outform", "DER", "-out", p7])
        let carolP7 = try Data(contentsOf: URL(fileURLWithPath: p7))
        let s = Slapd.suffix
        return """
            dn: \(s)
            objectClass: dcObject
            objectClass: organization
            o: Example
            dc: example

            dn: ou=people,\(s)
            objectClass: organizationalUnit
            ou: people

            dn: cn=bob,ou=people,\(s)
            objectClass: inetOrgPerson
            cn: bob
            sn: Bob
            mail: bob@example.org
            userCertificate;binary:: \(try der("bob.pem").base64EncodedString())

            dn: cn=carol,ou=people,\(s)
            objectClass: inetOrgPerson
            cn: carol
            sn: Carol
            mail: carol@example.org
            userSMIMECertificate:: \(carolP7.base64EncodedString())

            dn: cn=nocert,ou=people,\(s)
            objectClass: inetOrgPerson
            cn: nocert
            sn: Nocert
            mail: nocert@example.org

            """
    }

    func settings(_ port: Int, bind: String? = nil, ttl: Duration = .seconds(60), negative: Duration = .seconds(60)) throws -> LDAPSettings {
        var s = LDAPSettings(uri: "ldap://127.0.0.1:\(port)", base: "ou=people,\(Slapd.suffix)")
        s.timeout = .seconds(2); s.cacheTTL = ttl; s.negativeTTL = negative
        if let bind {
            let f = Material.path("ldap-pw-\(UUID().uuidString.prefix(6))")
            try (bind + "\n").write(toFile: f, atomically: true, encoding: .utf8)
            chmod(f, 0o600)
            s.bindDN = "cn=admin,\(Slapd.suffix)"; s.passwordFile = f
        }
        return s
    }

    @Test func lookupsAgainstARealSlapd() throws {
        let slapd = try Slapd(entries: try Self.entries())
        defer { slapd.stop() }
        let dir = LDAPDirectory(settings: try settings(slapd.port, ttl: .seconds(1)))
        // Positive: userCertificate;binary, and the certs-only blob.
        guard case .found(let bob) = dir.lookup("Bob@Example.org") else { Issue.record("bob: \(dir.lookup("bob@example.org"))"); return }
        #expect(bob == [Array(try Self.der("bob.pem"))])
        guard case .found(let carol) = dir.lookup("carol@example.org") else { Issue.record("carol not found"); return }
        #expect(carol == [Array(try Self.der("carol.pem"))])
        #expect(dir.serverQueries == 2)
        // Cached: no new query within the TTL.
        _ = dir.lookup("bob@example.org")
        #expect(dir.serverQueries == 2)
        // Negative: no entry, and an entry without certificates; negative-cached.
        #expect(dir.lookup("nobody@example.org") == .none)
        #expect(dir.lookup("nocert@example.org") == .none)
        #expect(dir.serverQueries == 4)
        #expect(dir.lookup("nobody@example.org") == .none)
        #expect(dir.serverQueries == 4)
        // The TTL expires: the directory is asked again.
        usleep(1_200_000)
        if case .found = dir.lookup("bob@example.org") {} else { Issue.record("bob after expiry") }
        #expect(dir.serverQueries == 5)
        // A filter injection finds nothing (the address is escaped per RFC 4515).
        #expect(dir.lookup("*)(mail=*") == .none)
        #expect(LDAPDirectory.filter("(mail=%s)", address: "a*(b)\\c") == "(mail=a\\2a\\28b\\29\\5cc)")
        // An authenticated bind works; a wrong password is a failure, not cached.
        let authed = LDAPDirectory(settings: try settings(slapd.port, bind: Slapd.password))
        if case .found = authed.lookup("bob@example.org") {} else { Issue.record("bound look-up failed: \(authed.lookup("bob@example.org"))") }
        let bad = LDAPDirectory(settings: try settings(slapd.port, bind: "wrong"))
        guard case .unavailable(let why) = bad.lookup("bob@example.org") else { Issue.record("bad bind accepted"); return }
        #expect(why.contains("bind") && why.contains("Invalid credentials"), "\(why)")
        _ = bad.lookup("bob@example.org")
        #expect(bad.serverQueries == 2)
        // The server goes down: unavailable (the policy decides), nothing cached.
        slapd.stop()
        let down = LDAPDirectory(settings: try settings(slapd.port))
        guard case .unavailable(let reason) = down.lookup("bob@example.org") else { Issue.record("down server answered"); return }
        #expect(!reason.isEmpty)
        // What was cached before still answers within its TTL.
        #expect(dir.lookup("nobody@example.org") == .none)
    }
}
