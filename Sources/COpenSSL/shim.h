/* Debian's libssl-dev (OpenSSL 3): only what SealCrypto uses. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/err.h>
