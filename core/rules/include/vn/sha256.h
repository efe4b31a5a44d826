/* vn_sha256: one SHA-256 digest. */
#ifndef VN_SHA256_H
#define VN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

/* SHA-256 of data into out[32]. */
vn_err vn_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
