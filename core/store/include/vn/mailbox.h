/* vn_mailbox: envelopes waiting for their recipients. The server keeps
 * the sealed ciphertext, a coarse time and the message id (for idempotent
 * resends and acknowledgement); never a plaintext, never who sent it. */
#ifndef VN_MAILBOX_H
#define VN_MAILBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vangnet.pb-c.h"
#include "vn/err.h"
#include "vn/sstore.h"
#include "vn/account.h"
#include "vn/frame.h"

/* Granularity of the times the mailbox keeps (see docs/METADATA.md). */
#define VN_MAILBOX_TIME_STEP_MS 60000ULL

/* The coarse time to store an envelope under at now: the end of its
 * minute. */
uint64_t vn_mailbox_time(uint64_t now);

/* What one recipient's mailbox holds: kept in a counter beside its tail
 * (mailtail), updated in the transaction of every put, acknowledgement,
 * expiry and deletion, so a quota check costs one read. */
typedef struct vn_mailbox_usage {
    uint64_t bytes;     /* stored records, each its time and envelope */
    uint64_t envelopes; /* envelopes waiting */
} vn_mailbox_usage;

/* A recipient's quota: the most a put may bring the mailbox to; 0 in a
 * field is no limit. */
typedef vn_mailbox_usage vn_mailbox_limit;

/* Which field of a vn_mailbox_limit a refused put would have passed. */
typedef enum vn_mailbox_over {
    VN_MAILBOX_OVER_NONE,
    VN_MAILBOX_OVER_BYTES,
    VN_MAILBOX_OVER_ENVELOPES,
} vn_mailbox_over;

/* Stores an envelope for recipient `to`: its id, time_ms (give it
 * vn_mailbox_time()), body and notice, nothing else. Envelopes of one
 * recipient are delivered in the order they were put. A second put with
 * the same id is not stored again: *dup is set and *time_ms gets the first
 * one's time. VN_EINVAL if the envelope has no valid id. */
vn_err vn_mailbox_put(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN], const Vn__Envelope *env,
                      bool *dup, uint64_t *time_ms);
/* vn_mailbox_put within a limit (NULL: none). A put that would bring the
 * mailbox past lim is refused with VN_EFULL, nothing written, and *over
 * (may be NULL) says which field; a resend of a stored id is never
 * refused. *held (may be NULL) gets the usage before the put. */
vn_err vn_mailbox_put_within(vn_sstore *st, const uint8_t to[VN_ACCOUNT_LEN],
                             const Vn__Envelope *env, const vn_mailbox_limit *lim,
                             vn_mailbox_over *over, vn_mailbox_usage *held, bool *dup,
                             uint64_t *time_ms);
/* The bytes an envelope takes in the mailbox, as counted in its usage. */
size_t vn_mailbox_record_size(const Vn__Envelope *env);
/* What account's mailbox holds now. */
vn_err vn_mailbox_usage_get(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                            vn_mailbox_usage *u);
/* Whether an envelope with this id waits for account (a resent send). */
bool vn_mailbox_holds(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                      const uint8_t id[VN_MSGID_LEN]);

/* What a sender has sent on one day (UTC day number), for the sender's
 * quota (sendquota). The store does not know who sent an envelope, so
 * this is not what of theirs still waits, and it is kept for one day only:
 * a record of another day reads as nothing sent. */
#define VN_MAILBOX_DAY_MS 86400000ULL
/* The UTC day number of a time. */
static inline uint32_t vn_mailbox_day(uint64_t now)
{
    return (uint32_t)(now / VN_MAILBOX_DAY_MS);
}
typedef struct vn_mailbox_sent {
    uint32_t day;       /* days since 1970-01-01 */
    uint64_t bytes;     /* counted as in vn_mailbox_usage */
    uint64_t envelopes; /* messages charged (a team message once) */
} vn_mailbox_sent;
/* sender's count for day (zeros if none was kept for that day). */
vn_err vn_mailbox_sent_get(vn_sstore *st, const uint8_t sender[VN_ACCOUNT_LEN], uint32_t day,
                           vn_mailbox_sent *s);
/* Replaces sender's count. */
vn_err vn_mailbox_sent_put(vn_sstore *st, const uint8_t sender[VN_ACCOUNT_LEN],
                           const vn_mailbox_sent *s);

/* Calls fn with up to max envelopes for account, oldest first; *more (may
 * be NULL) tells whether others wait. The envelope is valid only during the
 * call, and fn must not write to the mailbox. */
typedef vn_err (*vn_mailbox_fn)(void *ud, const Vn__Envelope *env);
vn_err vn_mailbox_fetch(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], size_t max,
                        vn_mailbox_fn fn, void *ud, bool *more);
/* Deletes a delivered envelope. VN_ENOTFOUND if there is none with that id. */
vn_err vn_mailbox_ack(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                      const uint8_t id[VN_MSGID_LEN]);
/* Deletes the delivered envelopes ids[0..n) (VN_MSGID_LEN bytes each) in
 * one transaction, reading and writing the mailbox's counts once; ids
 * that are not there are skipped. *deleted: how many were. */
vn_err vn_mailbox_ack_many(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN],
                           const uint8_t *const *ids, size_t n, size_t *deleted);
/* Number of envelopes waiting for account. */
vn_err vn_mailbox_count(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN], size_t *count);
/* Deletes envelopes stored before now - ttl_ms (at most one batch of a few
 * thousand per call), taking them off their recipients' counts, and drops
 * senders' counts of days before now's; *expired gets the number of
 * envelopes removed. */
vn_err vn_mailbox_expire(vn_sstore *st, uint64_t now, uint64_t ttl_ms, size_t *expired);
/* vn_mailbox_expire, calling fn (in the same transaction) with the message
 * id of each envelope it deletes; an error of fn undoes the batch. */
typedef vn_err (*vn_mailbox_id_fn)(void *ud, const uint8_t id[VN_MSGID_LEN]);
vn_err vn_mailbox_expire_each(vn_sstore *st, uint64_t now, uint64_t ttl_ms, vn_mailbox_id_fn fn,
                              void *ud, size_t *expired);
/* The same in bounded steps, for a caller that must not read every
 * envelope at once (vn_kv_each_from): the envelopes among at most max
 * after *pos (in no meaningful order), deleted and taken off their
 * recipients' counts in the caller's transaction, fn called for each. */
vn_err vn_mailbox_expire_from(vn_sstore *st, vn_kv_pos *pos, size_t max, uint64_t now,
                              uint64_t ttl_ms, vn_mailbox_id_fn fn, void *ud, size_t *expired);
/* The senders' counts of days before now's, among at most max after *pos,
 * dropped in the caller's transaction. */
vn_err vn_mailbox_drop_stale_from(vn_sstore *st, vn_kv_pos *pos, size_t max, uint64_t now);
/* Deletes account's mailbox and its count of what it sent. Envelopes it
 * sent do not name it and wait for their recipients like any other. */
vn_err vn_mailbox_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);

#endif
