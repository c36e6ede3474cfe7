/// The S/MIME capabilities a correspondent advertised (RFC 8551 2.5.2, the
/// signed smimeCapabilities attribute), as harvested beside its certificate in
/// `<fingerprint>.caps`: one algorithm a line, OpenSSL's short name (what the
/// harvester writes) or a dotted object identifier. Blank lines and `#`
/// comments are ignored.
public struct SMIMECapabilities: Sendable, Equatable {
    /// The algorithms, as written (trimmed).
    public var algorithms: [String]

    public init(_ algorithms: [String]) { self.algorithms = algorithms }

    /// Parses the text of a `.caps` file.
    public init(text: String) {
        var out: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {  // "\r\n" is one Character
            let t = line.trimmingCharacters(in: " \t")
            if t.isEmpty || t.hasPrefix("#") { continue }
            out.append(t)
        }
        algorithms = out
    }

    /// id-aes256-GCM (RFC 5084), 2.16.840.1.101.3.4.1.46: the client reads
    /// AES-256-GCM authenticated-enveloped-data.
    public static let aes256GCMName = "id-aes256-GCM"
    public static let aes256GCMOID = "2.16.840.1.101.3.4.1.46"

    /// Whether AES-256-GCM is advertised.
    public var advertisesAES256GCM: Bool {
        algorithms.contains { $0 == Self.aes256GCMOID || $0.lowercased() == Self.aes256GCMName.lowercased() }
    }
}
