import SealPolicy

/// The entries of address list files (`sender_list`, `recipient_list`): one
/// address, domain or pattern per line, as `sender:` takes them
/// (`user@example.com`, `example.com`, `@example.com`, `*.example.com`,
/// `*-bounces@*.example.org`, `<>`); blank lines and `#` comments (a whole line,
/// or from a `#` after a space) are ignored. Read when the policy is loaded (and
/// reloaded). Exact addresses and domains are looked up in hash sets, so a list
/// of many thousand entries costs no more per message than a short one; only
/// entries with wildcards are compared one by one.
public struct AddressList: Sendable {
    /// The files, as written in the policy.
    public var files: [String]
    var addresses: Set<String> = []
    var domains: Set<String> = []
    var wildcards: [AddressPattern] = []
    var nullSender = false
    /// How many entries the files hold.
    public private(set) var count = 0

    /// At most this many bytes per list file (the policy file's limit).
    public static let maxFileBytes = 8 << 20

    /// Whether `address` (brackets allowed) matches an entry.
    public func contains(_ address: String) -> Bool {
        let a = AddressList.normalize(address)
        if a.isEmpty { return nullSender }
        if addresses.contains(a) { return true }
        if let at = a.lastIndex(of: "@") {
            if domains.contains(String(a[a.index(after: at)...])) { return true }
        }
        return wildcards.contains { $0.matches(address: a) }
    }

    /// Lower-cased, without spaces, angle brackets, source route or a trailing dot.
    static func normalize(_ address: String) -> String {
        var s = Substring(AddressPattern.normalize(address))
        while s.last == "." { s.removeLast() }
        return String(s)
    }

    mutating func add(_ entry: String) {
        count += 1
        if entry == "<>" { nullSender = true; return }
        let e = AddressList.normalize(entry)
        if Glob.hasWildcard(e) { wildcards.append(AddressPattern(e)); return }
        if let at = e.lastIndex(of: "@") {
            if at == e.startIndex { domains.insert(String(e.dropFirst())) } else { addresses.insert(e) }
        } else {
            domains.insert(e)
        }
    }
}

extension PolicyReader {
    /// `FILE`, `[FILES]`: the list files, read now. A relative path is relative to
    /// the policy file's directory. Errors: a file that cannot be read, and each bad
    /// entry with the list file's name and line.
    func addressList(_ node: PolicyNode, _ what: String) -> AddressList? {
        guard let names = strings(node, what) else { return nil }
        var list = AddressList(files: names.map(\.0))
        var ok = true
        for (name, n) in names {
            let path = resolve(name)
            let text: String
            // The policy file's reader: UTF-8, at most the policy size limit (8 MiB).
            do { text = try PolicyReader.readFile(path: path) } catch {
                let why = error.message.contains("larger than") ? "the file is larger than \(AddressList.maxFileBytes >> 20) MiB" : error.message
                fail(n, "\(what): cannot use list file '\(path)': \(why)")
                ok = false; continue
            }
            var bad = 0
            var lineNo = 0
            for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
                lineNo += 1
                var line = Substring(raw)
                if let hash = line.firstIndex(of: "#"), hash == line.startIndex || line[line.index(before: hash)] == " " || line[line.index(before: hash)] == "\t" {
                    line = line[..<hash]
                }
                let entry = String(line).trimmingCharacters(in: " \t\r")
                if entry.isEmpty { continue }
                if let problem = PolicyReader.addressPatternProblem(entry) {
                    bad += 1
                    if bad <= 5 { fail(n, "\(what): \(path):\(lineNo): '\(entry)' \(problem)") }
                    ok = false; continue
                }
                list.add(entry)
            }
            if bad > 5 { fail(n, "\(what): \(path): \(bad - 5) more bad entries") }
        }
        return ok ? list : nil
    }

    /// `name` as a path: absolute as is, relative to the policy file's directory.
    func resolve(_ name: String) -> String {
        if name.hasPrefix("/") { return name }
        guard let slash = file.lastIndex(of: "/") else { return name }
        return String(file[...slash]) + name
    }
}

extension String {
    /// Without leading and trailing characters of `set`.
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
