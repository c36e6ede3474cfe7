import SealCrypto

/// The viewer's template and files (Viewer/, embedded in the library at build
/// time) and the page assembly: markers replaced, CSP hashes over the exact
/// inserted script and style texts (docs/envelope-format.md, section 1).
public struct PageTemplate: Sendable {
    public enum Marker: String, CaseIterable, Sendable {
        case csp = "@@CSP@@", style = "@@STYLE@@", script = "@@SCRIPT@@"
        case header = "@@HEADER@@", config = "@@CONFIG@@", data = "@@DATA@@"
    }

    /// The template's text pieces around the markers: `pieces[0]`, marker 0, `pieces[1]`, ...
    let pieces: [[UInt8]]
    let order: [Marker]
    public let style: [UInt8]
    public let script: [UInt8]

    /// Why a viewer file cannot be used.
    public struct TemplateError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The viewer embedded in the library.
    public static func builtin() throws -> PageTemplate {
        try PageTemplate(html: PackageResources.viewer_html, css: PackageResources.viewer_css, js: PackageResources.viewer_js)
    }

    /// A template from the three files' bytes. Every file must be ASCII with lines
    /// of at most 998 octets; every marker must occur exactly once in the HTML; the
    /// script must not hold `</script` nor the style `</style` (they would end
    /// their element early). CR line ends are dropped (the page uses LF, and the
    /// HTML parser hands LF to the CSP check).
    public init(html: [UInt8], css: [UInt8], js: [UInt8]) throws {
        func clean(_ b: [UInt8], _ name: String) throws -> [UInt8] {
            let t = b.filter { $0 != 13 }
            var len = 0
            for (i, c) in t.enumerated() {
                if c >= 128 || (c < 32 && c != 10 && c != 9) {
                    throw TemplateError(message: "\(name): byte \(i) is not printable ASCII (the page must be pure ASCII)")
                }
                len = c == 10 ? 0 : len + 1
                if len > 998 { throw TemplateError(message: "\(name): a line near byte \(i) is longer than 998 octets") }
            }
            return t
        }
        let h = try clean(html, "viewer.html")
        style = try clean(css, "viewer.css")
        script = try clean(js, "viewer.js")
        if Self.find(Array("</script".utf8), in: script, caseless: true) != nil {
            throw TemplateError(message: "viewer.js holds '</script', which would end its element")
        }
        if Self.find(Array("</style".utf8), in: style, caseless: true) != nil {
            throw TemplateError(message: "viewer.css holds '</style', which would end its element")
        }
        var found: [(Int, Marker)] = []
        for m in Marker.allCases {
            let needle = Array(m.rawValue.utf8)
            guard let at = Self.find(needle, in: h, caseless: false) else {
                throw TemplateError(message: "viewer.html has no \(m.rawValue) marker")
            }
            if Self.find(needle, in: Array(h[(at + needle.count)...]), caseless: false) != nil {
                throw TemplateError(message: "viewer.html has \(m.rawValue) more than once")
            }
            found.append((at, m))
        }
        found.sort { $0.0 < $1.0 }
        var p: [[UInt8]] = []
        var pos = 0
        for (at, m) in found {
            p.append(Array(h[pos..<at])); pos = at + m.rawValue.utf8.count
        }
        p.append(Array(h[pos...]))
        pieces = p
        order = found.map(\.1)
    }

    static func find(_ needle: [UInt8], in hay: [UInt8], caseless: Bool) -> Int? { Bytes.find(needle, in: hay, caseless: caseless) }

    /// `sha256-<base64>` of bytes: a CSP hash source.
    public static func hashSource(_ b: [UInt8]) throws -> String {
        "'sha256-" + Base64.encode(try SealCrypto.sha256(b)) + "'"
    }

    /// The Content-Security-Policy of the page.
    public func csp() throws -> String {
        "default-src 'none'; script-src \(try Self.hashSource(script)); style-src \(try Self.hashSource(style)); "
            + "img-src data: blob:; media-src data: blob:; frame-src blob: data:; form-action 'none'; base-uri 'none'"
    }

    /// The longest line of the page's text without the data (the data's lines are 76).
    func longestLine(header: [UInt8], config: [UInt8]) -> Int {
        var longest = 0, len = 0
        func scan(_ b: [UInt8]) { for c in b { if c == 10 { longest = max(longest, len); len = 0 } else { len += 1 } } }
        for (i, piece) in pieces.enumerated() {
            scan(piece)
            if i < order.count {
                switch order[i] {
                case .csp: len += 400
                case .style: scan(style)
                case .script: scan(script)
                case .header: scan(header)
                case .config: scan(config)
                case .data: scan([10]); len = 76
                }
            }
        }
        return max(longest, len)
    }

    /// Writes the page to `out`: the pieces and replacements in template order,
    /// `data` called at the data marker to stream the ciphertext's base64.
    func write(to out: PageText, header: [UInt8], config: [UInt8], data: () throws -> Void) throws {
        let policy = Array(try csp().utf8)
        for (i, piece) in pieces.enumerated() {
            try out.write(piece)
            guard i < order.count else { break }
            switch order[i] {
            case .csp: try out.write(policy)
            case .style: try out.write(style)
            case .script: try out.write(script)
            case .header: try out.write(header)
            case .config: try out.write(config)
            case .data: try data()
            }
        }
    }
}
