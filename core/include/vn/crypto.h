/* The libsignal crypto provider, built on OpenSSL 3 EVP (no deprecated
 * APIs): CSPRNG, HMAC-SHA256, SHA-512 and AES-CBC/CTR as libsignal asks. */
#ifndef VN_CRYPTO_H
#define VN_CRYPTO_H

#include <signal/signal_protocol.h>

#include "vn/err.h"

/* Installs the provider and recursive lock callbacks on ctx. */
vn_err vn_crypto_install(signal_context *ctx);

#endif
