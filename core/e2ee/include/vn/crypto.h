/* The libsignal crypto provider, built on OpenSSL 3 EVP (no deprecated
 * APIs): CSPRNG (getrandom), HMAC-SHA256, SHA-512 and AES-CBC/PKCS5 and
 * AES-CTR with 128, 192 or 256-bit keys, as libsignal asks.
 *
 * libsignal hands its lock callbacks the user_data given to
 * signal_context_create(), so the lock cannot be added to an existing
 * context: vn_crypto creates the context itself, with a recursive mutex
 * that lives in the vn_crypto (no global state). */
#ifndef VN_CRYPTO_H
#define VN_CRYPTO_H

#include <signal/signal_protocol.h>

#include "vn/err.h"

typedef struct vn_crypto vn_crypto;

/* Creates a libsignal context with the provider and recursive lock
 * callbacks installed. On success *out owns it; free with vn_crypto_close().
 * Returns VN_ENOMEM or VN_ECRYPTO. */
vn_err vn_crypto_open(vn_crypto **out);
/* Destroys the context and the mutex. Every libsignal object made with the
 * context must be gone by then. Safe on NULL and twice. */
void vn_crypto_close(vn_crypto **self_p);
/* The libsignal context; borrowed, valid until vn_crypto_close(). */
signal_context *vn_crypto_context(vn_crypto *self);

/* Fills *out with the provider callbacks (user_data NULL), for callers that
 * want the primitives without a context, such as tests. */
void vn_crypto_provider(signal_crypto_provider *out);

#endif
