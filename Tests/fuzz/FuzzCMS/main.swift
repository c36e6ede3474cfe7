// libFuzzer harness for the inbound S/MIME path: OpenSSL's CMS reader behind
// SealSMIME's BIOs over body streams, signature verification, the choice of a
// decryption key by the message's RecipientInfos, and decryption (enveloped and
// authEnveloped data). Built by ../run.sh with swiftc -sanitize=fuzzer,address
// against Sources/SealSMIME/Inbound/{CMSInbound,BIO+Spool,DecryptionKey}.swift,
// Sources/SealCrypto and the engine's BodySpool (-D FUZZ_CMS).
//
// Input layout: byte 0 = mode (even: the rest is DER CMS, wrapped by the harness in
// an application/pkcs7-mime entity; odd: the rest is a whole MIME entity, e.g.
// multipart/signed), byte 1 = the chunk size of the body stream (1...256).
// The material (test CA, bob's key and certificate) is made by run.sh with
// Tests/smime/make-material.sh in $FUZZ_CMS_MATERIAL.
//
// Invariants (trap when broken): a decryption succeeds only with a key a
// RecipientInfo names; the plaintext spool is readable to its end; OpenSSL's error
// queue is empty after each call (nothing leaks into the next message).
import COpenSSL
import Glibc

/// The engine's body stream protocol (Sources/SealEngine/Body/BodyPipeline.swift).
public protocol BodySource: AnyObject { func next() throws -> [UInt8]? }

final class Chunks: BodySource {
    let bytes: [UInt8]; let size: Int; var pos = 0
    init(_ bytes: [UInt8], size: Int) { self.bytes = bytes; self.size = size }
    func next() throws -> [UInt8]? {
        guard pos < bytes.count else { return nil }
        defer { pos += size }
        return Array(bytes[pos..<min(bytes.count, pos + size)])
    }
}

struct Setup {
    let trust: TrustStore
    let keys: [DecryptionKey]
}

nonisolated(unsafe) let setup: Setup = {
    guard let dir = getenv("FUZZ_CMS_MATERIAL").map({ String(cString: $0) }) else {
        fatalError("FUZZ_CMS_MATERIAL is not set (run.sh makes the material with Tests/smime/make-material.sh)")
    }
    do {
        let trust = try TrustStore(bundles: [], anchors: [dir + "/ca.pem"])
        let bob = try Identity.load(keyFile: dir + "/bob.key", certificateFile: dir + "/bob.pem")
        let carol = try Identity.load(keyFile: dir + "/carol.key", certificateFile: dir + "/carol.pem")
        return Setup(trust: trust, keys: [DecryptionKey(name: "bob", identity: bob), DecryptionKey(name: "carol", identity: carol)])
    } catch { fatalError("material in \(dir): \(error)") }
}()

func base64Lines(_ b: [UInt8]) -> [UInt8] {
    let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    var i = 0, col = 0
    while i < b.count {
        let n = min(3, b.count - i)
        let v = (UInt32(b[i]) << 16) | (n > 1 ? UInt32(b[i + 1]) << 8 : 0) | (n > 2 ? UInt32(b[i + 2]) : 0)
        out.append(table[Int(v >> 18 & 63)]); out.append(table[Int(v >> 12 & 63)])
        out.append(n > 1 ? table[Int(v >> 6 & 63)] : 61); out.append(n > 2 ? table[Int(v & 63)] : 61)
        i += 3; col += 4
        if col >= 64 { out += [13, 10]; col = 0 }
    }
    return out + [13, 10]
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let mode = data[0], chunk = Int(data[1]) + 1
    let rest = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let entity: [UInt8]
    if mode % 2 == 0 {
        entity = Array("Content-Type: application/pkcs7-mime; smime-type=enveloped-data\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8) + base64Lines(rest)
    } else {
        entity = rest
    }
    let s = setup
    guard case .success(let parsed) = CMSInbound.read(Chunks(entity, size: chunk)) else {
        if ERR_peek_error() != 0 { fatalError("OpenSSL error queue not empty after a failed read") }
        return 0
    }
    let out = BodySpool(memoryLimit: 1 << 16, directory: "/tmp")
    switch parsed.kind {
    case .signed:
        _ = CMSInbound.verify(parsed, trust: s.trust.store, content: out)
    case .enveloped, .authEnveloped:
        let key = CMSInbound.matchingKey(parsed, s.keys)
        if let key {
            if case .success = CMSInbound.decrypt(parsed, with: key, into: out) {
                // Readable to its end.
                let r = out.reader()
                var n: Int64 = 0
                while let c = try? r.next() { n += Int64(c.count) }
                if n != out.size { fatalError("plaintext spool: read \(n) of \(out.size) bytes") }
            }
        }
    case .other:
        break
    }
    if ERR_peek_error() != 0 { fatalError("OpenSSL error queue not empty after a message") }
    return 0
}
