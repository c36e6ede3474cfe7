/* Debian's libssl-dev (OpenSSL 3): only what SealCrypto uses. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/err.h>
/* S/MIME inbound (SealSMIME): CMS, certificates, PEM. */
#include <openssl/cms.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
/* Envelopes (SealCrypto/AESGCM.swift, KDF.swift, ECDH.swift): AES-GCM, HKDF, PBKDF2, P-256 keys. */
#include <openssl/kdf.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>
