/* Debian's libssl-dev (OpenSSL 3): what SealCrypto uses.
 *
 * Swift calls OpenSSL's functions directly; the only C here are one-line
 * static inline wrappers for what Swift cannot call: function-like macros
 * (the typed sk_* stacks, BIO_get_mem_data, OPENSSL_free) and union members
 * (GENERAL_NAME). Being inline in this header, they need no compiled C target. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
/* Envelopes (SealCrypto/AESGCM.swift, KDF.swift, ECDH.swift): AES-GCM, HKDF, PBKDF2, P-256 keys. */
#include <openssl/kdf.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>
#include <openssl/x509_vfy.h>
#include <openssl/pkcs12.h>
#include <openssl/cms.h>

/* --- STACK_OF(X509) --- */
static inline STACK_OF(X509) *seal_sk_X509_new(void) { return sk_X509_new_null(); }
/* Pushes x and takes a reference of its own (the stack owns it). */
static inline int seal_sk_X509_push_ref(STACK_OF(X509) *s, X509 *x) {
    if (X509_up_ref(x) != 1) return 0;
    if (sk_X509_push(s, x) <= 0) { X509_free(x); return 0; }
    return 1;
}
static inline int seal_sk_X509_num(const STACK_OF(X509) *s) { return s ? sk_X509_num(s) : 0; }
static inline X509 *seal_sk_X509_value(const STACK_OF(X509) *s, int i) { return sk_X509_value(s, i); }
/* Frees the stack and drops each element's reference. */
static inline void seal_sk_X509_free_all(STACK_OF(X509) *s) { sk_X509_pop_free(s, X509_free); }

/* --- STACK_OF(X509_CRL) --- */
static inline void seal_sk_X509_CRL_free_all(STACK_OF(X509_CRL) *s) { sk_X509_CRL_pop_free(s, X509_CRL_free); }

/* --- subjectAltName --- */
static inline GENERAL_NAMES *seal_x509_subject_alt_names(X509 *x) {
    return (GENERAL_NAMES *)X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
}
static inline int seal_general_names_num(const GENERAL_NAMES *g) { return g ? sk_GENERAL_NAME_num(g) : 0; }
/* The rfc822Name of entry i, or NULL when it is another kind of name. */
static inline const ASN1_IA5STRING *seal_general_names_rfc822(const GENERAL_NAMES *g, int i) {
    const GENERAL_NAME *n = sk_GENERAL_NAME_value(g, i);
    return (n && n->type == GEN_EMAIL) ? n->d.rfc822Name : NULL;
}
static inline void seal_general_names_free(GENERAL_NAMES *g) { GENERAL_NAMES_free(g); }

/* --- BIO and memory macros --- */
static inline long seal_bio_mem_data(BIO *b, char **p) { return BIO_get_mem_data(b, p); }
static inline void seal_openssl_free(void *p) { OPENSSL_free(p); }
static inline int seal_bio_flush(BIO *b) { return (int)BIO_flush(b); }
static inline void seal_bio_set_retry_read(BIO *b) { BIO_set_retry_read(b); }
static inline void seal_bio_clear_retry_flags(BIO *b) { BIO_clear_retry_flags(b); }

/* X509_NAME_print_ex flags: RFC 2253 order and escaping, UTF-8 kept as is. */
static inline unsigned long seal_xn_flags_rfc2253(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }
