/* vn_invites: one-time enrolment codes in the server store. Only the
 * SHA-256 of an invite's secret is kept, with its role, expiry, the time it
 * was redeemed and the case it admits to. Redeeming one (which also creates
 * the account) is vn_lifecycle_redeem. */
#ifndef VN_INVITES_H
#define VN_INVITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/invite.h"
#include "vn/role.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* How long an expired invite is remembered (so it reads as expired). */
#define VN_INVITE_KEEP_MS (30ULL * 86400000)

typedef struct vn_invite_info {
    vn_role role;                    /* the role it enrols into */
    uint64_t expires_ms;             /* redeemable before this */
    bool redeemed;                   /* then role and case are forgotten */
    bool in_case;                    /* whether it admits to a case */
    uint8_t case_id[VN_ACCOUNT_LEN]; /* that case (zeros for staff roles) */
} vn_invite_info;

/* Creates an invite for role, into case_id (NULL for staff roles), that
 * expires ttl_ms after now; secret[] gets the one-time secret for the code
 * (only its hash is stored). */
vn_err vn_invites_create(vn_sstore *st, vn_role role, const uint8_t *case_id, uint64_t now,
                         uint64_t ttl_ms, uint8_t secret[VN_INVITE_SECRET_LEN]);
/* The invite of secret. VN_ENOTFOUND if there is none (or it was swept). */
vn_err vn_invites_get(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN],
                      vn_invite_info *info);
/* Marks the invite of secret as redeemed and forgets its role and case
 * (and keeps no time of use). The spent invite is kept until swept, so a
 * replay is told it was used rather than unknown. */
vn_err vn_invites_mark_redeemed(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN]);
/* Deletes every invite into a case. */
vn_err vn_invites_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN]);
/* Deletes invites that expired more than VN_INVITE_KEEP_MS before now. */
vn_err vn_invites_expire(vn_sstore *st, uint64_t now);
/* The same among at most max invites after *pos (vn_kv_each_from). */
vn_err vn_invites_expire_from(vn_sstore *st, vn_kv_pos *pos, size_t max, uint64_t now);

#endif
