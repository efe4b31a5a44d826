/* vn_lifecycle: what happens to a person's or a case's data across tables:
 * an invite redeemed into an account (and a case), an account deleted with
 * everything keyed to or naming it, closed cases purged after retention,
 * the expiry sweep, and who an account is for the policy. This is the only
 * store module that calls several table modules; each of those reads and
 * writes only its own tables. */
#ifndef VN_LIFECYCLE_H
#define VN_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/cases.h"
#include "vn/err.h"
#include "vn/invite.h"
#include "vn/policy.h"
#include "vn/role.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* Redeems secret for the device key: creates an account with a random id
 * and, for an invite into a case, makes it a member. VN_EINVITE_BAD
 * (unknown), VN_EINVITE_USED, VN_EINVITE_EXPIRED, VN_EEXISTS if the device
 * key already belongs to an account (or the case already has its
 * participant), VN_EDENIED (the case was closed), VN_ETOOBIG (the case is
 * full). Nothing is written unless it succeeds. */
vn_err vn_lifecycle_redeem(vn_sstore *st, const uint8_t secret[VN_INVITE_SECRET_LEN],
                           const uint8_t device_key[VN_CURVE_KEY_LEN], uint64_t now,
                           uint8_t account[VN_ACCOUNT_LEN], vn_role *role);
/* Deletes everything keyed to or naming account: account, device, keys,
 * prekeys, mailbox, envelopes it sent, membership, its own audit log,
 * quiet hours and held notices, its name as an alert's claimer. Entries
 * naming it as the reader in participants' audit logs are sealed to those
 * participants and stay with their logs. VN_ENOACCOUNT if
 * there is no such account; VN_EDENIED (with nothing changed) for a
 * casemanager who still manages open cases. */
vn_err vn_lifecycle_delete_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);
/* Purges cases closed before now - retention_ms, with their members'
 * accounts, contracts, records, alerts, disclosures and invites; *purged
 * gets the number of cases removed. A case that fails is left for the next
 * sweep. */
vn_err vn_lifecycle_purge(vn_sstore *st, uint64_t now, uint64_t retention_ms, size_t *purged);
/* Purges one case as vn_lifecycle_purge does, if it ended before now -
 * retention_ms (*purged says whether it did), in a sub-transaction of the
 * open write transaction: a case that fails leaves no trace and does not
 * doom the transaction (its error is returned). For a caller that walks
 * the cases itself (the scheduler's pass, vn_cases_each_from). */
vn_err vn_lifecycle_purge_case(vn_sstore *st, const vn_case_info *ci, uint64_t now,
                               uint64_t retention_ms, bool *purged);
/* Deletes envelopes stored before now - ttl_ms (one batch), keeping a
 * receipt of each for its sender (vn/expired.h), receipts past their
 * keeping time, and invites long past expiry; *expired gets the number of
 * envelopes removed. */
vn_err vn_lifecycle_expire(vn_sstore *st, uint64_t now, uint64_t ttl_ms, size_t *expired);
/* Fills what the policy needs to know of account (role, case, its cm).
 * VN_ENOACCOUNT if the account does not exist. */
/* vn_lifecycle_expire in bounded steps, for the server's loop: a walk of
 * the mailbox, the senders' counts, the expiry receipts and the invites,
 * one after the other, that reads at most max records a step. Reset it
 * (zeroed) to begin; the caller keeps it between steps. */
typedef struct vn_lifecycle_expiry {
    int table;      /* the table walked: 0 to 3; 4 once all are done */
    vn_kv_pos pos;  /* where in it */
    size_t expired; /* envelopes expired by the walk so far */
} vn_lifecycle_expiry;
void vn_lifecycle_expiry_reset(vn_lifecycle_expiry *w);
/* One step, in one transaction (now and ttl_ms as for vn_lifecycle_expire).
 * *done says whether the walk is through. On an error nothing of the step
 * is kept and the walk stays where it was. */
vn_err vn_lifecycle_expire_step(vn_sstore *st, vn_lifecycle_expiry *w, size_t max, uint64_t now,
                                uint64_t ttl_ms, bool *done);
vn_err vn_lifecycle_party(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], vn_party *out);

#endif
