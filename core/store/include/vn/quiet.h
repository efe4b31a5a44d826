/* vn_quiet: an account's quiet hours, and the concern-level notices held
 * for it while they last. */
#ifndef VN_QUIET_H
#define VN_QUIET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* Most held notices vn_quiet_deferred lists. */
#define VN_DEFERRED_MAX 65536

/* A notice held during its recipient's quiet hours. */
typedef struct vn_deferred {
    uint8_t account[VN_ACCOUNT_LEN]; /* the recipient */
    uint8_t alert[VN_ACCOUNT_LEN];   /* the alert it is about */
    uint8_t kind;                    /* the notice kind (a server code, not 0) */
} vn_deferred;

/* An account's quiet hours, minutes of the day: from start_min up to
 * end_min (which may wrap past midnight). VN_ENOTFOUND if none are set. */
vn_err vn_quiet_get(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], uint16_t *start_min,
                    uint16_t *end_min);
/* Sets them; VN_EINVAL unless start_min < 1440, end_min <= 1440 and they
 * differ. */
vn_err vn_quiet_set(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], uint16_t start_min,
                    uint16_t end_min);
/* Turns them off (not an error when none were set). */
vn_err vn_quiet_clear(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);

/* Holds a notice until the recipient's quiet hours end. */
vn_err vn_quiet_defer(vn_sstore *st, const vn_deferred *d);
/* Every held notice, in a malloc'd *out of *n (caller frees; NULL when
 * none). VN_ETOOBIG past VN_DEFERRED_MAX. */
vn_err vn_quiet_deferred(vn_sstore *st, vn_deferred **out, size_t *n);
/* Forgets a held notice (sent, or no longer worth sending). */
vn_err vn_quiet_undefer(vn_sstore *st, const vn_deferred *d);
/* Deletes an account's quiet hours and the notices held for it. */
vn_err vn_quiet_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);

#endif
