import SealEngine
import SealPolicy

/// `smime_sign`: signs the message (detached multipart/signed, SHA-256, the signer's chain included; `opaque: true` for application/pkcs7-mime) with the identity of its From address.
/// See docs/smime.md.
public struct SMIMESignAction: SMIMEOutboundAction {
    public static let key = "smime_sign"
    public let options: OutboundOptions

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        OutboundOptions.load(value, c, sign: true, encrypt: false).map { Self(options: $0) }
    }
}
