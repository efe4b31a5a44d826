/* vn_quota: storage quotas and the crisis reserve.
 *
 * Three limits keep one account from filling the shared store:
 *  - the recipient's quota: what one mailbox may hold undelivered (bytes
 *    and envelopes), exact, counted by vn_mailbox in the transaction of
 *    every put, acknowledgement, expiry and deletion;
 *  - the sender's quota: what one account may send in a UTC day (bytes and
 *    messages, a team message once). It cannot be "what of theirs still
 *    waits": the store does not know who sent an envelope (sealed sender,
 *    docs/METADATA.md), and keeping that link only to count it would store
 *    exactly what sealed sender keeps out. A day's budget bounds what one
 *    account adds, and the recipients' quotas bound where it can go;
 *  - the ordinary threshold: past the map size minus the crisis reserve
 *    (and the margin vn_server_nearly_full keeps for deletions), the store
 *    takes nothing ordinary, so there is always room for the crisis path.
 *
 * The crisis path (rows flagged CRISIS in requests.h: raising a signal or
 * SOS, claiming, acknowledging) is never refused by a quota or by the
 * ordinary threshold, and the server's notices are never refused by a
 * quota. The reports a client sends with an alert travel as ordinary
 * sealed sends the server cannot tell apart, so a successful crisis
 * request gives its sender a short crisis pass: the next few sends of
 * report size skip the quotas and the threshold (see vn_quota_pass_grant).
 */
#ifndef VN_QUOTA_H
#define VN_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/account.h"
#include "vn/err.h"
#include "vn/kv.h"
#include "vn/mailbox.h"
#include "vn/sstore.h"

typedef struct vn_quota vn_quota;

typedef struct vn_quota_limits {
    uint64_t sender_bytes;        /* a sender's bytes per UTC day */
    uint64_t sender_envelopes;    /* a sender's messages per UTC day */
    uint64_t recipient_bytes;     /* bytes one mailbox may hold undelivered */
    uint64_t recipient_envelopes; /* envelopes one mailbox may hold undelivered */
    unsigned reserve_pct;         /* percent of the map only the crisis path may use */
} vn_quota_limits;

/* Fills every field left 0 with its default for a store of map_size
 * bytes: a 64th of the map for each byte quota, one message per KiB of it
 * (at least 64) for each count, and a 5% reserve. */
void vn_quota_limits_default(vn_quota_limits *l, size_t map_size);

/* How the keeper logs (vn_log); may be NULL. */
typedef void vn_quota_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* *out gets a new quota keeper with these limits (copied). */
vn_err vn_quota_open(vn_quota **out, const vn_quota_limits *l, vn_quota_log *log);
/* Safe on NULL and twice; sets *self_p to NULL. */
void vn_quota_close(vn_quota **self_p);
const vn_quota_limits *vn_quota_limits_get(const vn_quota *self);

/* Pages vn_server_nearly_full keeps free for deletions and the rest of a
 * batch: a tenth of the map, at least 256 (1 MiB of 4 KiB pages). */
size_t vn_quota_margin_pages(size_t map_pages);
/* Whether used of map pages leaves no room for ordinary growth: past the
 * map less the margin and reserve_pct percent of it. */
bool vn_quota_past_ordinary(size_t used_pages, size_t map_pages, unsigned reserve_pct);
/* vn_quota_past_ordinary for the store now (free pages walked at most
 * every 200 ms; logs each change). */
bool vn_quota_store_full(vn_quota *self, vn_kv *kv, uint64_t mono_ms);

/* Which quota a send would pass. */
typedef enum vn_quota_which {
    VN_QUOTA_NONE,
    VN_QUOTA_STORE, /* the store is past the ordinary threshold */
    VN_QUOTA_SENDER_BYTES,
    VN_QUOTA_SENDER_ENVELOPES,
    VN_QUOTA_RECIPIENT_BYTES,
    VN_QUOTA_RECIPIENT_ENVELOPES,
} vn_quota_which;

/* Whether charging bytes and envelopes to a day's count s passes l. */
vn_quota_which vn_quota_sender_over(const vn_mailbox_sent *s, const vn_quota_limits *l,
                                    uint64_t bytes, uint64_t envelopes);
/* Milliseconds from now to the next UTC midnight, when senders' counts
 * start over. */
uint64_t vn_quota_until_tomorrow(uint64_t now);

/* One send: filled by the caller (from, to, now, mono_ms), then by
 * vn_quota_send_put. */
typedef struct vn_quota_send {
    const uint8_t *from, *to; /* sender and recipient (VN_ACCOUNT_LEN each) */
    uint64_t now, mono_ms;    /* the store's clock; the monotonic clock */
    /* set by vn_quota_send_put: */
    size_t bytes;          /* the record it adds (vn_mailbox_record_size) */
    bool crisis;           /* went through on the sender's crisis pass: no limit */
    bool copy;             /* another copy of the sender's team message: not charged */
    vn_mailbox_sent sent;  /* the sender's count for today */
    vn_mailbox_usage held; /* what the recipient's mailbox held, when it refused */
    vn_quota_which over;   /* why it was refused */
    uint64_t retry_ms;     /* when to try again */
} vn_quota_send;

/* Stores env for s->to within the quotas, in the request's transaction:
 * the envelope, the recipient's count and the sender's count are written
 * together. A resent message (stored already) always passes, with *dup.
 * VN_EFULL, nothing written, when a quota or the ordinary threshold
 * refuses it: s->over says which, s->retry_ms when to retry. */
vn_err vn_quota_send_put(vn_quota *self, vn_sstore *st, vn_kv *kv, vn_quota_send *s,
                         const Vn__Envelope *env, bool *dup, uint64_t *time_ms);
/* The refusal for s->over, naming the quota and when to retry. */
void vn_quota_refusal(const vn_quota *self, const vn_quota_send *s, char *msg, size_t size);

/* A crisis pass: after a successful crisis request, the sender's next
 * VN_QUOTA_PASS_SENDS sends of at most VN_QUOTA_PASS_BYTES within
 * VN_QUOTA_PASS_MS (its reports to the buddies, casemanager or team) skip
 * the quotas and the ordinary threshold. Held in memory only. */
#define VN_QUOTA_PASS_SENDS 64
#define VN_QUOTA_PASS_BYTES 16384
#define VN_QUOTA_PASS_MS    (10 * 60 * 1000ULL)
void vn_quota_pass_grant(vn_quota *self, const uint8_t account[VN_ACCOUNT_LEN], uint64_t mono_ms);

#endif
