import Foundation
import Testing
@testable import SealPolicy
@testable import SealEngine

@Suite struct KeysSection {
    @Test func namesAndPathsLoadInOrder() throws {
        let p = try #require(accepted("keys:\n  gateway: /etc/sealmilter/keys/gw.key\n  passcode-secret: /etc/s\n"))
        #expect(p.keys.map(\.name) == ["gateway", "passcode-secret"])
        #expect(p.keys.map(\.path) == ["/etc/sealmilter/keys/gw.key", "/etc/s"])
        #expect(p.keys[0].line == 2)
    }

    @Test func relativePathIsRefused() {
        expectRefused("keys:\n  gw: keys/gw.key\n", line: 2, column: 7, "keys.gw: must be an absolute path")
    }

    @Test func listInsteadOfMappingIsRefused() {
        expectRefused("keys:\n  - /a\n", line: 2, "keys: expected a mapping of names to file paths")
    }

    @Test func badNameIsRefused() {
        expectRefused("keys:\n  \"a b\": /a\n", line: 2, "'a b' is not a key name")
    }

    @Test func missingPathIsRefused() {
        expectRefused("keys:\n  gw:\n", line: 2, "keys.gw: expected a string")
    }
}

/// Key files on disk, checked as the daemon checks them.
@Suite struct KeyFilePermissions {
    /// A policy naming one key file with the given mode (nil: the file is not made).
    func check(mode: mode_t?, owner: uid_t? = nil, chownTo: uid_t? = nil, directory: Bool = false) throws -> [PolicyError] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sealkeys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/k.pem"
        if directory {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } else if let mode {
            #expect(FileManager.default.createFile(atPath: path, contents: Data("secret\n".utf8)))
            #expect(chmod(path, mode) == 0)
        }
        if let chownTo { #expect(chown(path, chownTo, gid_t.max) == 0) }
        let p = try Policy.parse(yaml: "keys:\n  gw: \(path)\n", file: "p.yaml")
        return p.keyFileProblems(owner: owner)
    }

    @Test func ownerOnlyModesPass() throws {
        #expect(try check(mode: 0o600).isEmpty)
        #expect(try check(mode: 0o400).isEmpty)
        #expect(try check(mode: 0o600, owner: geteuid()).isEmpty)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o620, 0o602] as [mode_t])
    func groupOrOtherBitsFail(mode: mode_t) throws {
        let problems = try check(mode: mode)
        #expect(problems.count == 1)
        let text = problems.first?.description ?? ""
        #expect(text.hasPrefix("p.yaml:2:7: keys.gw: "), "\(text)")
        #expect(text.contains("open to other users than its owner (mode 0\(String(mode, radix: 8)))"), "\(text)")
        #expect(text.contains("chmod 600"), "\(text)")
    }

    @Test func missingFileFails() throws {
        let text = try check(mode: nil).first?.description ?? ""
        #expect(text.contains("cannot be used: No such file or directory"), "\(text)")
    }

    @Test func directoryFails() throws {
        let text = try check(mode: nil, directory: true).first?.description ?? ""
        #expect(text.contains("is not a regular file"), "\(text)")
    }

    @Test func unreadableByOwnerFails() throws {
        let text = try check(mode: 0o200).first?.description ?? ""
        #expect(text.contains("is not readable by its owner (mode 0200)"), "\(text)")
    }

    @Test func wrongOwnerFails() throws {
        // Another owner than the one asked for: the daemon could not read it.
        let other: uid_t = geteuid() == 0 ? 65534 : 0
        let text = try check(mode: 0o600, owner: other).first?.description ?? ""
        #expect(text.contains("belongs to "), "\(text)")
        #expect(text.contains("but the filter runs as"), "\(text)")
        #expect(text.contains("(uid \(other))"), "\(text)")
    }

    @Test(.enabled(if: geteuid() == 0, "chown needs root"))
    func fileGivenToTheDaemonUserPasses() throws {
        #expect(try check(mode: 0o600, owner: 65534, chownTo: 65534).isEmpty)
    }

    @Test func everyBadFileIsReported() throws {
        let p = try Policy.parse(yaml: "keys:\n  a: /nonexistent/a\n  b: /nonexistent/b\n", file: "p.yaml")
        let problems = p.keyFileProblems()
        #expect(problems.map(\.line) == [2, 3])
    }
}
