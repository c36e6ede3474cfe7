/// What a part's headers declare about it: the input to label-based detection
/// and the context for byte sniffing.
public struct PartLabel: Sendable, Equatable {
    /// Lowercased `type/subtype`, for example `application/pkcs7-mime`.
    public var mediaType: String
    /// Content-Type parameters, names lowercased, values decoded (RFC 2231).
    public var parameters: [String: String]
    /// The filename from Content-Disposition or the Content-Type `name` parameter, decoded.
    public var filename: String?

    public init(mediaType: String, parameters: [String: String] = [:], filename: String? = nil) {
        self.mediaType = mediaType
        self.parameters = parameters
        self.filename = filename
    }

    /// `text/*` parts, where inline PGP blocks are looked for.
    public var isText: Bool { mediaType.hasPrefix("text/") }

    /// The filename's extension, lowercased, without the dot (nil without a filename or dot).
    public var fileExtension: String? {
        guard let name = filename, let dot = name.lastIndex(of: ".") else { return nil }
        let ext = name[name.index(after: dot)...]
        guard !ext.isEmpty else { return nil }
        return ext.trimmingTrailingSpaces().lowercased()
    }
}

extension Substring {
    fileprivate func trimmingTrailingSpaces() -> Substring {
        var s = self
        while let last = s.last, last == " " || last == "\t" { s = s.dropLast() }
        return s
    }
}
