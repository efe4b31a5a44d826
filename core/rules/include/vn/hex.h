/* vn_hex: lowercase hex text for bytes, and back. */
#ifndef VN_HEX_H
#define VN_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

/* Writes 2*len hex characters plus NUL into out (size >= 2*len+1). */
void vn_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decodes exactly outlen bytes from a hex string of length 2*outlen
 * (either case); VN_EINVAL for anything else. */
vn_err vn_hex_decode(const char *in, uint8_t *out, size_t outlen);

#endif
