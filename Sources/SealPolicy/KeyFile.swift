#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A key or secret file named in the policy's `keys:` section (private keys,
/// passcode secrets): material that actions read from disk.
///
/// The policy loader checks only the form (a name, an absolute path). Whether the
/// file is safe to use depends on the machine and on the user the daemon runs as,
/// so that is ``Policy/keyFileProblems(owner:)``'s job, called when the daemon
/// starts, on `-t` and on every reload.
public struct KeyFile: Sendable, Equatable {
    /// The name rules refer to it by.
    public var name: String
    /// Absolute path of the file.
    public var path: String
    /// Where the path is written in the policy file, for messages.
    public var line: Int
    public var column: Int

    public init(name: String, path: String, line: Int = 0, column: Int = 0) {
        self.name = name; self.path = path; self.line = line; self.column = column
    }
}

extension PolicySettings {
    /// What is wrong with the key files on this machine, one error per file, in
    /// policy order (empty when all are safe).
    ///
    /// A key file must exist, be a regular file (a symbolic link to one is
    /// followed), be readable by its owner, and give no permission at all to its
    /// group or to others (mode 0600 or 0400): a secret that another user can read
    /// is no secret. With `owner`, the file must also belong to that user ID (the
    /// user the daemon runs as), so that the daemon can read it and nobody else can.
    public func keyFileProblems(owner: uid_t? = nil) -> [PolicyError] {
        keys.compactMap { key in
            func problem(_ what: String) -> PolicyError {
                PolicyError(file: source, line: key.line > 0 ? key.line : nil,
                            column: key.column > 0 ? key.column : nil,
                            message: "keys.\(key.name): \(key.path) \(what)")
            }
            var st = stat()
            if stat(key.path, &st) != 0 {
                let reason = String(cString: strerror(errno))
                return problem("cannot be used: \(reason)")
            }
            if (st.st_mode & S_IFMT) != S_IFREG {
                return problem("is not a regular file")
            }
            let mode = st.st_mode & 0o7777
            let octal = "0" + String(mode, radix: 8)
            if mode & 0o077 != 0 {
                return problem("is open to other users than its owner (mode \(octal)); "
                               + "make it readable by its owner alone: chmod 600 \(key.path)")
            }
            if let owner, st.st_uid != owner {
                let has = Self.userName(st.st_uid).map { "\($0) (uid \(st.st_uid))" } ?? "uid \(st.st_uid)"
                let want = Self.userName(owner)
                return problem("belongs to \(has), but the filter runs as "
                               + (want.map { "\($0) (uid \(owner))" } ?? "uid \(owner)")
                               + "; give it to that user: chown \(want ?? String(owner)) \(key.path)")
            }
            if mode & 0o400 == 0 {
                return problem("is not readable by its owner (mode \(octal)); chmod 600 \(key.path)")
            }
            return nil
        }
    }

    /// The account name of a user ID, or nil when it has none.
    static func userName(_ uid: uid_t) -> String? {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0, let result, let name = result.pointee.pw_name {
            return String(cString: name)
        }
        return nil
    }
}

extension PolicySettings {
    /// What is wrong with the spool directory on this machine (empty when usable):
    /// it must exist, be a directory, and let the filter's user (`owner`, else the
    /// calling process) create files in it. Checked with the key files, so that a
    /// bad `spool.directory` is refused at start, by `-t` and on reload, not found
    /// message by message when a large body is rewritten.
    public func spoolProblems(owner: uid_t? = nil) -> [PolicyError] {
        let d = spool.directory
        func problem(_ what: String) -> [PolicyError] {
            [PolicyError(file: source, line: spool.line > 0 ? spool.line : nil,
                         column: spool.column > 0 ? spool.column : nil, message: "spool.directory: \(d) \(what)")]
        }
        var st = stat()
        if stat(d, &st) != 0 { return problem("cannot be used: " + String(cString: strerror(errno))) }
        if (st.st_mode & S_IFMT) != S_IFDIR { return problem("is not a directory") }
        let uid = owner ?? geteuid()
        if uid == 0 { return [] }  // root may write anywhere
        let mode = st.st_mode
        let writable: Bool
        if st.st_uid == uid {
            writable = mode & 0o300 == 0o300
        } else if Self.user(uid, isInGroup: st.st_gid) {
            writable = mode & 0o030 == 0o030
        } else {
            writable = mode & 0o003 == 0o003
        }
        if !writable {
            let who = Self.userName(uid).map { "\($0) (uid \(uid))" } ?? "uid \(uid)"
            return problem("is not writable by \(who), the user the filter runs as")
        }
        return []
    }

    /// Whether user `uid` is a member of group `gid` (primary or supplementary).
    static func user(_ uid: uid_t, isInGroup gid: gid_t) -> Bool {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0, let result else { return false }
        if result.pointee.pw_gid == gid { return true }
        var groups = [gid_t](repeating: 0, count: 256)
        var n = Int32(groups.count)
        guard let name = result.pointee.pw_name else { return false }
        if getgrouplist(name, result.pointee.pw_gid, &groups, &n) < 0 { return false }
        return groups.prefix(Int(n)).contains(gid)
    }
}
