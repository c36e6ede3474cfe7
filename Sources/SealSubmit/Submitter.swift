/// Hands a message to the local MTA as a new message: the versions of a message
/// for recipient groups other than the first, and messages of the filter's own.
///
/// A submitter blocks until the MTA has accepted the message (or refused it) and
/// returns the MTA's queue ID when it says one. Errors are typed and never carry
/// message content.
public protocol Submitter: Sendable {
    /// Submits one message. `header` is the header section, one field per line with
    /// CRLF or LF line ends, without the empty line; `body` gives the body in chunks
    /// (nil at its end). Returns the queue ID the MTA gave ("" when it gives none).
    func submit(sender: String, recipients: [String], header: [UInt8],
                body: () throws -> [UInt8]?) throws(SubmitError) -> String
}

/// Why a submission failed. The whole original message is then tempfailed.
public enum SubmitError: Error, Equatable, CustomStringConvertible {
    /// Could not connect or start (`host:port`, the reason).
    case unavailable(String)
    /// The MTA answered with a refusal (the command and its reply).
    case refused(String)
    /// The MTA took too long or the connection broke.
    case io(String)
    /// The message could not be read (spool error).
    case input(String)

    public var description: String {
        switch self {
        case .unavailable(let s): "submission service unavailable: \(s)"
        case .refused(let s): "submission refused: \(s)"
        case .io(let s): "submission failed: \(s)"
        case .input(let s): "the message to submit could not be read: \(s)"
        }
    }
}

/// Turns message bytes (any mix of LF and CRLF line ends) into SMTP DATA: CRLF
/// line ends, lines starting with "." doubled, across chunk boundaries.
public struct DataEncoder {
    private var atLineStart = true
    private var pendingCR = false
    public init() {}

    /// Encodes the next chunk.
    public mutating func encode(_ chunk: [UInt8], into out: inout [UInt8]) {
        out.reserveCapacity(out.count + chunk.count + chunk.count / 32 + 4)
        for b in chunk {
            if pendingCR {
                pendingCR = false
                if b == 10 { out.append(13); out.append(10); atLineStart = true; continue }
                // A lone CR is kept as data.
                out.append(13); atLineStart = false
            }
            if b == 13 { pendingCR = true; continue }
            if b == 10 { out.append(13); out.append(10); atLineStart = true; continue }
            if atLineStart && b == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out.append(b)
            atLineStart = false
        }
    }

    /// Ends the current line, if one is begun (a pending CR becomes its end).
    public mutating func endLine(into out: inout [UInt8]) {
        if pendingCR { out.append(13); out.append(10); pendingCR = false; atLineStart = true }
        if !atLineStart { out.append(13); out.append(10); atLineStart = true }
    }

    /// Ends the header section: its last line, then the empty line.
    public mutating func endHeader(into out: inout [UInt8]) {
        endLine(into: &out)
        out.append(13); out.append(10)
    }

    /// Ends the data: the last line gets its CRLF, then "." CRLF.
    public mutating func finish(into out: inout [UInt8]) {
        endLine(into: &out)
        out += Array(".\r\n".utf8)
    }
}
