/* vn_audit: who read which part of a participant's case data, so the
 * participant can see it. The server seals each entry to the participant
 * before it gets here: this module stores and lists boxes it cannot open,
 * keyed by the participant and a random entry id, so the store says how
 * many reads a participant's data had and nothing about who, what or when. */
#ifndef VN_AUDIT_H
#define VN_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"
#include "vn/account.h"

#define VN_AUDIT_BOX_MAX 256 /* longest sealed entry stored */
#define VN_AUDIT_ID_LEN  16  /* random entry id: the order of a paged read */

/* What was read; the numbers travel sealed (AuditRecord.what) and never
 * change. The participant's client names them ("case", "contract",
 * "events", "alerts"). */
typedef enum vn_audit_what {
    VN_AUDIT_CASE = 1,     /* case membership and state */
    VN_AUDIT_CONTRACT = 2, /* the monitoring contract */
    VN_AUDIT_EVENTS = 3,   /* recorded events */
    VN_AUDIT_ALERTS = 4,   /* alerts */
} vn_audit_what;

/* Adds one sealed entry (len bytes of box, at most VN_AUDIT_BOX_MAX) to
 * participant's log under a new random entry id. VN_EINVAL for an empty
 * box, VN_ETOOBIG for a longer one. */
vn_err vn_audit_put(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN], const uint8_t *box,
                    size_t len);
/* Calls fn for every sealed entry of participant's log, in no meaningful
 * order (entry ids are random); box is valid until fn returns. fn must not
 * write to the audit log. */
typedef vn_err (*vn_audit_fn)(void *ud, const uint8_t *box, size_t len);
vn_err vn_audit_each(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN], vn_audit_fn fn,
                     void *ud);
/* One page of participant's log: fn gets the first `limit` entries whose
 * id follows `after` (NULL: from the first), in id order (which says
 * nothing about time); *last gets the id of the last one given and *rest
 * how many entries follow it. fn must not write to the audit log. */
vn_err vn_audit_page(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN], const uint8_t *after,
                     size_t limit, vn_audit_fn fn, void *ud, uint8_t last[VN_AUDIT_ID_LEN],
                     size_t *rest);
/* Deletes account's own log. Entries naming account as the reader in
 * other participants' logs are sealed to those participants: the server
 * cannot find them, and they stay until that participant's log goes. */
vn_err vn_audit_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);

#endif
