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
