/* Tests/e2e/sign-with-caps.c — a test helper: a detached CMS signature (PEM) over
 * FILE whose signed SMIMECapabilities attribute lists exactly the given ciphers,
 * as a client that reads AES-GCM advertises (OpenSSL's `cms -sign` lists CBC only
 * and has no option for it). Built by Tests/e2e/smime-in.sh with `cc ... -lcrypto`.
 *
 *   sign-with-caps CERT KEY FILE OUT CIPHER...   (CIPHER: an OpenSSL name, e.g. aes-256-gcm)
 */
#include <stdio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

static int fail(const char *what) {
    fprintf(stderr, "sign-with-caps: %s\n", what);
    ERR_print_errors_fp(stderr);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: sign-with-caps CERT KEY FILE OUT CIPHER...\n");
        return 2;
    }
    BIO *cb = BIO_new_file(argv[1], "r"), *kb = BIO_new_file(argv[2], "r"), *in = BIO_new_file(argv[3], "rb");
    if (!cb || !kb || !in) return fail("cannot open the certificate, key or input");
    X509 *cert = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    if (!cert || !key) return fail("cannot read the certificate or key");
    unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    if (!cms) return fail("CMS_sign");
    CMS_SignerInfo *si = CMS_add1_signer(cms, cert, key, EVP_sha256(), flags | CMS_NOSMIMECAP);
    if (!si) return fail("CMS_add1_signer");
    STACK_OF(X509_ALGOR) *caps = sk_X509_ALGOR_new_null();
    for (int i = 5; i < argc; i++) {
        int nid = OBJ_sn2nid(argv[i]);
        if (nid == NID_undef) nid = OBJ_ln2nid(argv[i]);
        if (nid == NID_undef || !PKCS7_simple_smimecap(caps, nid, -1)) return fail("unknown cipher name");
    }
    if (!CMS_add_smimecap(si, caps)) return fail("CMS_add_smimecap");
    if (!CMS_final(cms, in, NULL, CMS_DETACHED | CMS_BINARY)) return fail("CMS_final");
    BIO *out = BIO_new_file(argv[4], "w");
    if (!out || !PEM_write_bio_CMS_stream(out, cms, NULL, 0)) return fail("cannot write the signature");
    BIO_free(out);
    sk_X509_ALGOR_pop_free(caps, X509_ALGOR_free);
    CMS_ContentInfo_free(cms);
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cb); BIO_free(kb); BIO_free(in);
    return 0;
}
