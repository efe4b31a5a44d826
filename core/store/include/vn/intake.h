/* vn_intake: anonymous first contact. The programme publishes one
 * first-contact code (an invite code whose secret may be redeemed by
 * anyone, at a bounded rate); who redeems it gets a visitor account
 * (VN_ROLE_VISITOR) with no name, number or case, whose only peers are the
 * programme's intake staff (VN_ROLE_INTAKE). Two tables (docs/METADATA.md):
 *
 *   intakecodes  SHA-256 of the code's secret -> redeems allowed per hour,
 *                the current hour and how many redeems it saw
 *   visitors     visitor account -> day created, day last active, today's
 *                message count, the intake staff it talks with (at most
 *                VN_INTAKE_PEERS_MAX)
 *
 * The table functions read and write one table each; vn_intake_redeem and
 * vn_intake_purge (intake_lifecycle.c) span accounts, keys, mailbox and
 * visitors, as vn/lifecycle.h does for invites and cases. */
#ifndef VN_INTAKE_H
#define VN_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/invite.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* Most intake staff one visitor talks with: its conversations. */
#define VN_INTAKE_PEERS_MAX 3
/* Most visitors one purge pass deletes. */
#define VN_INTAKE_PURGE_BATCH 64

/* Replaces any first-contact code by a new one allowing per_hour redeems
 * an hour (1 .. 100000); secret[] gets its secret (only the hash is kept).
 * The old code stops working at once; accounts made with it stay. */
vn_err vn_intake_code_create(vn_sstore *st, uint32_t per_hour, uint64_t now,
                             uint8_t secret[VN_INVITE_SECRET_LEN]);
/* Counts one redeem of secret against its hour's allowance. VN_ENOTFOUND
 * if secret is not the first-contact code; VN_ERATE with *retry_ms (until
 * the next hour) when this hour's redeems are used up. */
vn_err vn_intake_code_take(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN], uint64_t now,
                           uint64_t *retry_ms);
/* How many first-contact codes the store holds: one, or none before the
 * first (a cluster's writer refuses an operator's write that leaves more). */
vn_err vn_intake_code_count(vn_sstore *st, size_t *n);

/* What the server keeps of one visitor. */
typedef struct vn_intake_visitor {
    int32_t first_day;   /* UTC day it was created */
    int32_t last_day;    /* UTC day it last sent or was written to */
    int32_t sent_day;    /* the UTC day sent_count counts */
    uint32_t sent_count; /* messages it sent that day */
    uint8_t npeers;      /* intake staff it talks with */
    uint8_t peers[VN_INTAKE_PEERS_MAX][VN_ACCOUNT_LEN];
} vn_intake_visitor;

/* VN_ENOTFOUND if account is not a visitor. */
vn_err vn_intake_visitor_get(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                             vn_intake_visitor *out);
vn_err vn_intake_visitor_put(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                             const vn_intake_visitor *v);
/* Deletes a visitor record; absent is fine. */
vn_err vn_intake_visitor_delete(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);
/* Whether peer is one of v's conversations. */
bool vn_intake_visitor_has_peer(const vn_intake_visitor *v, const uint8_t peer[VN_ACCOUNT_LEN]);

/* Called for each visitor in the store's order (not meaningful); set
 * *stop to end early. */
typedef vn_err (*vn_intake_visitor_fn)(void *ud, const uint8_t account[VN_ACCOUNT_LEN],
                                       const vn_intake_visitor *v, bool *stop);
vn_err vn_intake_visitors_each(vn_sstore *st, vn_intake_visitor_fn fn, void *ud);

/* Redeems the first-contact code secret for device_key: counts the redeem
 * against the code's hourly allowance and makes a visitor account.
 * VN_EINVITE_BAD if secret is not the code, VN_ERATE (*retry_ms: until the
 * next hour) when the hour's redeems are used up, VN_EEXISTS if the device
 * key has an account already. Nothing is written unless it succeeds. */
vn_err vn_intake_redeem(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN],
                        const uint8_t device_key[VN_CURVE_KEY_LEN], uint64_t now,
                        uint8_t account[VN_ACCOUNT_LEN], uint64_t *retry_ms);
/* Deletes visitors idle for idle_ms or more (last active day before
 * now - idle_ms), each with its account, device, keys, prekeys and mailbox
 * (vn_lifecycle_delete_account), and visitor records whose account is gone;
 * at most VN_INTAKE_PURGE_BATCH a call. *purged gets how many. */
vn_err vn_intake_purge(vn_sstore *st, uint64_t now, uint64_t idle_ms, size_t *purged);

#endif
