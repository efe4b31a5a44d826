/* vn_ratelimit: token buckets in memory, keyed by bytes (a sender and
 * recipient pair, an account). A refusal says how long until a retry can
 * succeed. Buckets that have refilled are forgotten, so memory stays small. */
#ifndef VN_RATELIMIT_H
#define VN_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"

typedef struct vn_ratelimit vn_ratelimit;

/* The longest key: a pair of account ids and a byte that says what is
 * limited (messages, or key bundles). Longer is a caller bug (VN_EINVAL). */
#define VN_RATELIMIT_KEY_MAX 40

/* burst tokens at most, refilled at per_sec tokens a second. */
vn_err vn_ratelimit_open(vn_ratelimit **out, double burst, double per_sec);
void vn_ratelimit_close(vn_ratelimit **self_p);
/* Takes cost tokens for key at now_ms (a monotonic clock). VN_OK, or
 * VN_ERATE with *retry_ms set and nothing taken. */
vn_err vn_ratelimit_take(vn_ratelimit *self, const void *key, size_t klen, double cost,
                         uint64_t now_ms, uint64_t *retry_ms);
/* Checks without taking. */
vn_err vn_ratelimit_check(vn_ratelimit *self, const void *key, size_t klen, double cost,
                          uint64_t now_ms, uint64_t *retry_ms);
/* Forgets buckets that are full again. */
void vn_ratelimit_sweep(vn_ratelimit *self, uint64_t now_ms);

#endif
