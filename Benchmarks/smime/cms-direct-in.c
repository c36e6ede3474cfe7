/* cms-direct-in.c — the OpenSSL CMS calls of inbound S/MIME, called directly on
 * the same bytes, for Benchmarks/smime/inbound.sh: SMIME_read_CMS of the entity
 * (header section and body) from a memory BIO, then CMS_verify against a store
 * with the test CA (detached content from the MIME reader, CMS_BINARY), or
 * CMS_decrypt with the recipient's key and certificate into a memory BIO that is
 * reset per message. The file is read once.
 *
 *   cms-direct-in MODE ENTITY CA.pem RECIP.pem RECIP.key ITERATIONS
 *   MODE: verify | decrypt; prints messages per second. */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *what) { fprintf(stderr, "cms-direct-in: %s\n", what); ERR_print_errors_fp(stderr); exit(1); }

int main(int argc, char **argv) {
    if (argc != 7) { fprintf(stderr, "usage: cms-direct-in verify|decrypt ENTITY CA.pem RECIP.pem RECIP.key N\n"); return 2; }
    int decrypt = strcmp(argv[1], "decrypt") == 0;
    FILE *f = fopen(argv[2], "rb"); if (!f) die(argv[2]);
    fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n); if (fread(buf, 1, n, f) != (size_t)n) die("read"); fclose(f);
    X509_STORE *store = X509_STORE_new();
    if (X509_STORE_load_locations(store, argv[3], NULL) != 1) die("CA");
    FILE *cf = fopen(argv[4], "r"); X509 *cert = cf ? PEM_read_X509(cf, NULL, NULL, NULL) : NULL; if (!cert) die("cert"); fclose(cf);
    FILE *kf = fopen(argv[5], "r"); EVP_PKEY *key = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL; if (!key) die("key"); fclose(kf);
    int iters = atoi(argv[6]);
    BIO *out = BIO_new(BIO_s_mem());
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < iters; i++) {
        BIO *in = BIO_new_mem_buf(buf, (int)n);
        BIO *bcont = NULL;
        CMS_ContentInfo *cms = SMIME_read_CMS(in, &bcont);
        if (!cms) die("SMIME_read_CMS");
        if (decrypt) {
            if (CMS_decrypt(cms, key, cert, NULL, out, CMS_BINARY) != 1) die("CMS_decrypt");
        } else {
            if (CMS_verify(cms, NULL, store, bcont, NULL, CMS_BINARY) != 1) die("CMS_verify");
        }
        (void)BIO_reset(out);
        CMS_ContentInfo_free(cms); BIO_free(bcont); BIO_free(in);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("cms-direct-in %s messages=%d seconds=%.3f per_second=%.2f\n", argv[1], iters, dt, iters / dt);
    return 0;
}
