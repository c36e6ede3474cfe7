/// Label-based detection: what the declared types alone establish.
///
/// Labels that need the part's bytes to decide (the sniffer is run on every leaf part in any
/// case): `application/pkcs7-mime` / `application/x-pkcs7-mime` without `smime-type` (the
/// CMS content type decides), and anything mislabelled.
public enum Detector {
    /// Kinds established by a part's declared type and filename alone.
    ///
    /// - `application/(x-)pkcs7-mime` with `smime-type` `enveloped-data`,
    ///   `authEnveloped-data` or `signed-data` (any case); `certs-only` is readable.
    /// - `multipart/encrypted` (any protocol) and `application/pgp-encrypted`: `pgp-mime`.
    ///   The engine may pass container parts too; the control part of a
    ///   multipart/encrypted is `application/pgp-encrypted`, so leaves alone suffice.
    /// - `application/x-microsoft-rpmsg-message` or a filename ending in `.rpmsg`.
    public static func kinds(fromLabel label: PartLabel) -> UnscannableSet {
        var kinds: UnscannableSet = []
        switch label.mediaType {
        case "application/pkcs7-mime", "application/x-pkcs7-mime":
            switch label.parameters["smime-type"]?.trimmed.lowercased() {
            case "enveloped-data"?: kinds.insert(.smimeEnveloped)
            case "authenveloped-data"?: kinds.insert(.smimeAuthEnveloped)
            case "signed-data"?: kinds.insert(.smimeOpaqueSigned)
            default: break
            }
        case "multipart/encrypted", "application/pgp-encrypted":
            kinds.insert(.pgpMIME)
        case "application/x-microsoft-rpmsg-message":
            kinds.insert(.msRightsProtected)
        default:
            break
        }
        if label.fileExtension == "rpmsg" { kinds.insert(.msRightsProtected) }
        return kinds
    }

    /// Kinds established by a message-level header field (for example
    /// `Content-Class: rpmsg.message`). `name` is as received, any case.
    public static func kinds(fromMessageHeader name: String, value: String) -> UnscannableSet {
        guard name.trimmed.lowercased() == "content-class" else { return [] }
        // Unfolded or not, compare the value without surrounding whitespace or a trailing ';'.
        var v = value.trimmed.lowercased()
        while v.hasSuffix(";") { v = String(v.dropLast()).trimmed }
        return v == "rpmsg.message" ? UnscannableSet(.msRightsProtected) : []
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs, CR and LF.
    var trimmed: String {
        let ws: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !ws($0) }), let last = lastIndex(where: { !ws($0) }) else { return "" }
        return String(self[first...last])
    }
}
