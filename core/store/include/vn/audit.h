/* vn_audit: who read which part of a participant's case data, per minute,
 * so the participant can see it. */
#ifndef VN_AUDIT_H
#define VN_AUDIT_H

#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"
#include "vn/account.h"

typedef enum vn_audit_what {
    VN_AUDIT_CASE = 1,     /* case membership and state */
    VN_AUDIT_CONTRACT = 2, /* the monitoring contract */
    VN_AUDIT_EVENTS = 3,   /* recorded events */
    VN_AUDIT_ALERTS = 4,   /* alerts */
} vn_audit_what;

/* "case", "contract", "events", "alerts". */
const char *vn_audit_what_name(vn_audit_what what);
/* Records that reader read what of participant's case data at now (kept
 * per minute: repeated reads in one minute are one entry). */
vn_err vn_audit_record(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN],
                       const uint8_t reader[VN_ACCOUNT_LEN], vn_audit_what what, uint64_t now);
/* Calls fn for every entry of participant's log, oldest first; fn must not
 * write to the audit log. */
typedef vn_err (*vn_audit_fn)(void *ud, uint64_t minute_ms, const uint8_t reader[VN_ACCOUNT_LEN],
                              vn_audit_what what);
vn_err vn_audit_each(vn_sstore *st, const uint8_t participant[VN_ACCOUNT_LEN], vn_audit_fn fn,
                     void *ud);
/* Deletes every entry naming account, as participant or as reader. */
vn_err vn_audit_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);

#endif
