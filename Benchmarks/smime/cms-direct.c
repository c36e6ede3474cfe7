/* cms-direct.c — the OpenSSL CMS calls the engine makes, called directly on the
 * same bytes, for Benchmarks/smime/run.sh: detached signing (CMS_sign with
 * CMS_PARTIAL|CMS_DETACHED|CMS_BINARY|CMS_STREAM, CMS_add1_signer SHA-256,
 * CMS_dataInit / write / CMS_dataFinal, DER, base64), encryption (CMS_encrypt
 * AES-256-CBC with CMS_STREAM, CMS_add1_recipient_cert, i2d_CMS_bio_stream into a
 * base64 BIO), and both. Input: the content entity (CRLF) in a file, read once;
 * the output goes to a memory BIO that is reset per message.
 *
 *   cms-direct MODE ENTITY SIGNER.pem SIGNER.key RECIP.pem ITERATIONS
 *   MODE: sign | encrypt | sign-encrypt; prints messages per second. */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *what) { fprintf(stderr, "cms-direct: %s\n", what); ERR_print_errors_fp(stderr); exit(1); }

static X509 *load_cert(const char *p) {
    FILE *f = fopen(p, "r"); if (!f) die(p);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL); fclose(f); if (!x) die(p); return x;
}

/* Detached signature of buf, written as the multipart/signed body (entity + base64 signature) to out. */
static void sign(const unsigned char *buf, size_t n, X509 *cert, EVP_PKEY *key, BIO *out) {
    unsigned int flags = CMS_PARTIAL | CMS_DETACHED | CMS_BINARY | CMS_STREAM;
    CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
    if (!cms || !CMS_add1_signer(cms, cert, key, EVP_sha256(), flags)) die("CMS_sign");
    BIO *data = CMS_dataInit(cms, NULL); if (!data) die("CMS_dataInit");
    BIO_write(out, "--b\r\n", 5);
    for (size_t off = 0; off < n; off += 65536) {
        size_t k = n - off < 65536 ? n - off : 65536;
        if (BIO_write(data, buf + off, (int)k) != (int)k) die("write");
        BIO_write(out, buf + off, (int)k);
    }
    (void)BIO_flush(data);
    if (!CMS_dataFinal(cms, data)) die("CMS_dataFinal");
    BIO_free_all(data);
    BIO *b64 = BIO_new(BIO_f_base64()); BIO_push(b64, out);
    if (!i2d_CMS_bio(b64, cms)) die("i2d_CMS_bio");
    (void)BIO_flush(b64); BIO_pop(b64); BIO_free(b64);
    CMS_ContentInfo_free(cms);
}

static void encrypt(BIO *in, X509 *rcpt, BIO *out) {
    unsigned int flags = CMS_PARTIAL | CMS_BINARY | CMS_STREAM;
    CMS_ContentInfo *cms = CMS_encrypt(NULL, NULL, EVP_aes_256_cbc(), flags);
    if (!cms || !CMS_add1_recipient_cert(cms, rcpt, flags)) die("CMS_encrypt");
    BIO *b64 = BIO_new(BIO_f_base64()); BIO_push(b64, out);
    if (!i2d_CMS_bio_stream(b64, cms, in, flags)) die("i2d_CMS_bio_stream");
    (void)BIO_flush(b64); BIO_pop(b64); BIO_free(b64);
    CMS_ContentInfo_free(cms);
}

int main(int argc, char **argv) {
    if (argc != 7) { fprintf(stderr, "usage: cms-direct MODE ENTITY SIGNER.pem SIGNER.key RECIP.pem ITERATIONS\n"); return 2; }
    const char *mode = argv[1];
    FILE *f = fopen(argv[2], "rb"); if (!f) die(argv[2]);
    fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)n); if (fread(buf, 1, (size_t)n, f) != (size_t)n) die("read"); fclose(f);
    X509 *signer = load_cert(argv[3]), *rcpt = load_cert(argv[5]);
    FILE *kf = fopen(argv[4], "r"); if (!kf) die(argv[4]);
    EVP_PKEY *key = PEM_read_PrivateKey(kf, NULL, NULL, NULL); fclose(kf); if (!key) die("key");
    int iterations = atoi(argv[6]);
    struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t outbytes = 0;
    for (int i = 0; i < iterations; i++) {
        BIO *out = BIO_new(BIO_s_mem());
        if (!strcmp(mode, "sign")) sign(buf, (size_t)n, signer, key, out);
        else if (!strcmp(mode, "encrypt")) {
            BIO *in = BIO_new_mem_buf(buf, (int)n); encrypt(in, rcpt, out); BIO_free(in);
        } else {
            BIO *signed_ = BIO_new(BIO_s_mem()); sign(buf, (size_t)n, signer, key, signed_);
            encrypt(signed_, rcpt, out); BIO_free(signed_);
        }
        outbytes += (size_t)BIO_pending(out);
        BIO_free(out);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("cms-direct messages=%d seconds=%.3f per_second=%.2f out_bytes=%zu\n", iterations, dt, iterations / dt, outbytes / (size_t)iterations);
    return 0;
}
