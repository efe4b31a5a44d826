/* vn_b64url: base64url without padding (RFC 4648, section 5). */
#ifndef VN_B64URL_H
#define VN_B64URL_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

/* encode writes NUL-terminated text into out of size outsize (VN_ETOOBIG
 * if it does not fit). decode writes at most outsize bytes and sets
 * *outlen; text that is not the canonical encoding of some bytes (a
 * foreign character, an impossible length, stray low bits in the last
 * character) is VN_EINVAL. */
vn_err vn_b64url_encode(const uint8_t *in, size_t len, char *out, size_t outsize);
vn_err vn_b64url_decode(const char *in, uint8_t *out, size_t outsize, size_t *outlen);

#endif
