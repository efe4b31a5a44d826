/* Small shared helpers: randomness, hashing, hex and base64url codecs,
 * account ids, bounded number parsing. */
#ifndef VN_UTIL_H
#define VN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

/* Account ids are 16 random bytes, shown as 32 lowercase hex characters. */
#define VN_ACCOUNT_LEN 16
#define VN_ACCOUNT_HEX (VN_ACCOUNT_LEN * 2)
/* Message ids are 16 random bytes chosen by the sender. */
#define VN_MSGID_LEN 16

/* Fills buf from the OS CSPRNG (getrandom). */
vn_err vn_random(void *buf, size_t len);
/* SHA-256 of data into out[32]. */
vn_err vn_sha256(const void *data, size_t len, uint8_t out[32]);

/* Writes 2*len hex characters plus NUL into out (size >= 2*len+1). */
void vn_hex_encode(const uint8_t *in, size_t len, char *out);
/* Decodes exactly outlen bytes from a hex string of length 2*outlen. */
vn_err vn_hex_decode(const char *in, uint8_t *out, size_t outlen);
/* True if s is a well-formed account id (32 lowercase hex characters). */
bool vn_account_valid(const char *s);

/* base64url without padding. encode writes NUL-terminated text into out of
 * size outsize (VN_ETOOBIG if it does not fit). decode writes at most
 * outsize bytes and sets *outlen. */
vn_err vn_b64url_encode(const uint8_t *in, size_t len, char *out, size_t outsize);
vn_err vn_b64url_decode(const char *in, uint8_t *out, size_t outsize, size_t *outlen);

/* Parses a decimal unsigned integer in [min, max]; the whole string must be digits. */
vn_err vn_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parses a duration such as "90s", "90m", "36h", "31d" into milliseconds. */
vn_err vn_parse_duration(const char *s, uint64_t *ms);

/* Wall clock in milliseconds since the epoch. */
uint64_t vn_now_ms(void);

/* Big-endian integer helpers for keys that must sort numerically. */
void vn_put_be64(uint8_t *p, uint64_t v);
uint64_t vn_get_be64(const uint8_t *p);
void vn_put_be32(uint8_t *p, uint32_t v);
uint32_t vn_get_be32(const uint8_t *p);

#endif
