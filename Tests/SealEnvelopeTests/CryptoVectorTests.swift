import XCTest
import SealCrypto

/// Known-answer tests for the key derivations (RFC 5869, RFC 7914's PBKDF2-HMAC-SHA-256
/// vectors) and AES-256-GCM (test cases 13 and 14 of McGrew and Viega's GCM
/// specification: the 256-bit zero key).
final class CryptoVectorTests: XCTestCase {
    func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.filter { !$0.isWhitespace }.makeIterator()
        while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
        return out
    }

    func testHKDFRFC5869Case1() throws {
        let okm = try KDF.hkdfSHA256(ikm: hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), salt: hex("000102030405060708090a0b0c"),
                                     info: hex("f0f1f2f3f4f5f6f7f8f9"), length: 42)
        XCTAssertEqual(okm, hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"))
    }

    func testHKDFRFC5869Case3EmptySaltAndInfo() throws {
        let okm = try KDF.hkdfSHA256(ikm: hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), salt: [], info: [UInt8](), length: 42)
        XCTAssertEqual(okm, hex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"))
    }

    func testAESGCMSpecificationCases13And14() throws {
        let key = [UInt8](repeating: 0, count: 32), iv = [UInt8](repeating: 0, count: 12)
        XCTAssertEqual(try AESGCM.seal(key: key, nonce: iv, aad: [], []), hex("530f8afbc74536b9a963b4f1c4cb738b"))
        let c = try AESGCM.seal(key: key, nonce: iv, aad: [], [UInt8](repeating: 0, count: 16))
        XCTAssertEqual(c, hex("cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919"))
        XCTAssertEqual(try AESGCM.open(key: key, nonce: iv, aad: [], c), [UInt8](repeating: 0, count: 16))
        var bad = c; bad[20] ^= 1
        XCTAssertNil(try AESGCM.open(key: key, nonce: iv, aad: [], bad))
        XCTAssertNil(try AESGCM.open(key: key, nonce: iv, aad: [1], c), "the AAD is authenticated")
    }

    func testECDHBothSidesAgreeAndSPKIRoundTrips() throws {
        let a = try P256Key.generate(), b = try P256Key.generate()
        XCTAssertEqual(try a.sharedSecret(with: b), try b.sharedSecret(with: a))
        let der = try a.spkiDER()
        XCTAssertEqual(der.count, 91)
        let pub = try XCTUnwrap(P256Key.fromSPKI(der))
        XCTAssertFalse(pub.hasPrivate)
        XCTAssertEqual(try b.sharedSecret(with: pub), try b.sharedSecret(with: a))
        XCTAssertNil(P256Key.fromSPKI(Array(der.dropLast())))
        var offCurve = der; offCurve[90] ^= 1
        XCTAssertNil(P256Key.fromSPKI(offCurve), "a point off the curve is refused")
        let again = try XCTUnwrap(P256Key.fromPEM(Array(try a.privatePEM().utf8)))
        XCTAssertTrue(again.hasPrivate)
        XCTAssertEqual(try again.spkiDER(), der)
        XCTAssertNil(P256Key.fromPEM(Array("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".utf8)))
    }

    func testPBKDF2SHA256RFC7914() throws {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64.
        let dk = try KDF.pbkdf2SHA256(password: Array("passwd".utf8), salt: Array("salt".utf8), iterations: 1, length: 64)
        XCTAssertEqual(dk, hex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"))
        // c=80000, P="Password", S="NaCl".
        let dk2 = try KDF.pbkdf2SHA256(password: Array("Password".utf8), salt: Array("NaCl".utf8), iterations: 80000, length: 64)
        XCTAssertEqual(dk2, hex("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"))
    }
}
