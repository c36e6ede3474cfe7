import SealEngine
import SealPolicy

/// `smime_encrypt`: encrypts the message for every recipient's usable certificate (and the escrow certificate) in one CMS enveloped-data; `without_certificate` says what recipients without one get.
/// See docs/smime.md.
public struct SMIMEEncryptAction: SMIMEOutboundAction {
    public static let key = "smime_encrypt"
    public let options: OutboundOptions

    public static func load(_ value: PolicyNode?, _ c: ActionLoadContext) -> Self? {
        OutboundOptions.load(value, c, sign: false, encrypt: true).map { Self(options: $0) }
    }
}
