/// A protected message as the registry keeps it.
public struct ProtectedMessage: Sendable, Equatable {
    /// The registry's number for it (nil before it is recorded).
    public var id: Int64?
    /// Its Message-ID, with angle brackets, as in the header field.
    public var messageID: String
    /// The envelope sender.
    public var sender: String
    /// The envelope recipients (all of the message's, whatever version they got).
    public var recipients: [String]
    /// The rights template's name.
    public var template: String
    /// When it was recorded (seconds since 1970).
    public var created: Int64
    /// When its protection ends (nil: never).
    public var expires: Int64?
    /// The MTA's queue ID of the message that was protected (for logs).
    public var queueID: String
    /// The text fingerprint sample (shingle hashes) and its size.
    public var textSample: [UInt64]
    /// SHA-256 (hex) of each attachment's decoded bytes.
    public var attachments: [String]

    public init(id: Int64? = nil, messageID: String, sender: String, recipients: [String], template: String,
                created: Int64, expires: Int64?, queueID: String = "", textSample: [UInt64] = [], attachments: [String] = []) {
        self.id = id; self.messageID = messageID; self.sender = sender; self.recipients = recipients
        self.template = template; self.created = created; self.expires = expires; self.queueID = queueID
        self.textSample = textSample; self.attachments = attachments
    }

    /// Whether the protection is in force at `now`.
    public func inForce(at now: Int64) -> Bool { expires.map { $0 > now } ?? true }
}

/// What an outbound message is checked with.
public struct RightsQuery: Sendable {
    /// Message-IDs it refers to (In-Reply-To, References) or carries (attached messages).
    public var messageIDs: [String]
    /// Every shingle hash of its text (not a sample: the protected side is sampled).
    public var textHashes: [UInt64]
    /// SHA-256 (hex) of its attachments.
    public var attachments: [String]
    /// The share of a protected message's sample that must be found, in percent.
    public var thresholdPercent: Int
    /// At least this many sample hashes must be found (short texts).
    public var minimumHits: Int
    public var now: Int64

    public init(messageIDs: [String], textHashes: [UInt64], attachments: [String],
                thresholdPercent: Int = 50, minimumHits: Int = 3, now: Int64) {
        self.messageIDs = messageIDs; self.textHashes = textHashes; self.attachments = attachments
        self.thresholdPercent = thresholdPercent; self.minimumHits = minimumHits; self.now = now
    }
}

/// A protected message an outbound message carries or refers to, and how it was found.
public struct RightsMatch: Sendable, Equatable {
    public enum Evidence: Sendable, Equatable {
        /// It names the protected message's Message-ID (reply, forward, attached message).
        case messageID
        /// `hits` of the protected text's `sample` hashes are in its text.
        case text(hits: Int, sample: Int)
        /// It carries one of the protected message's attachments.
        case attachment
    }
    public var message: ProtectedMessage
    public var evidence: Evidence
    public var evidenceDescription: String {
        switch evidence {
        case .messageID: return "message-id"
        case .text(let h, let s): return "text \(h)/\(s)"
        case .attachment: return "attachment"
        }
    }
}
