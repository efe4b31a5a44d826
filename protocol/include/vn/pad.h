/* Padding of ciphertext to size buckets, so the length of a message on the
 * wire and on the server's disk says little about its content.
 *
 * A padded body is: 4-byte big-endian length n, n bytes of ciphertext, then
 * zero bytes up to the bucket size. Buckets: 256, 512, 1 KiB, 2 KiB, then
 * every 4 KiB up to VN_BODY_MAX. */
#ifndef VN_PAD_H
#define VN_PAD_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

/* The bucket a payload of len bytes pads to; 0 if it cannot fit any. */
size_t vn_pad_bucket(size_t len);
/* Pads in[0..len) into a malloc'd *out of *outlen bytes (caller frees).
 * VN_ETOOBIG if it exceeds the largest bucket. */
vn_err vn_pad_encode(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen);
/* Finds the payload inside a padded body without copying: *payload points
 * into in. VN_EPROTO if the length prefix or the padding is inconsistent. */
vn_err vn_pad_decode(const uint8_t *in, size_t len, const uint8_t **payload, size_t *plen);

#endif
