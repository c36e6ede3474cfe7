import SealEngine
import SealPolicy

/// `smime_sign_encrypt`: signs, then encrypts the signed message (the options of both).
/// See docs/smime.md.
public struct SMIMESignEncryptAction: SMIMEOutboundAction {
    public static let key = "smime_sign_encrypt"
    public let options: OutboundOptions

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        OutboundOptions.load(value, c, sign: true, encrypt: true).map { Self(options: $0) }
    }
}
