/* vn_alerts: signals and SOS alerts in the server store: which case, what
 * kind, how severe, who claimed it and when it was raised, escalated and
 * acknowledged, for as long as the alert is open: an acknowledged alert is
 * deleted. Never an item code or a note: those travel end to end.
 *
 * All functions join the store's open write transaction. */
#ifndef VN_ALERTS_H
#define VN_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"
#include "vn/account.h"

/* Alert ids are random, of the same length as account and case ids. */
#define VN_ALERT_ID_LEN VN_ACCOUNT_LEN
/* Most alerts one walk visits (vn_alerts_each, the key walks): bounds
 * what a walk holds in memory (about 100 MB at most). */
#define VN_ALERTS_MAX (1u << 20)

typedef enum vn_alert_kind { VN_ALERT_SIGNAL = 1, VN_ALERT_SOS = 2 } vn_alert_kind;
typedef enum vn_alert_state {
    VN_ALERT_OPEN = 1,
    VN_ALERT_CLAIMED = 2,
    VN_ALERT_ACKED = 3,
} vn_alert_state;

/* Who has been told: SOS starts with the buddies, signals with the
 * casemanager; unanswered alerts climb to the medical lead. */
enum { VN_LEVEL_BUDDIES = 0, VN_LEVEL_CASEMANAGER = 1, VN_LEVEL_MEDICAL_LEAD = 2 };

typedef struct vn_alert {
    uint8_t id[VN_ALERT_ID_LEN];        /* random alert id */
    uint8_t case_id[VN_ACCOUNT_LEN];    /* the case */
    uint8_t kind;                       /* vn_alert_kind */
    uint8_t severity;                   /* vn_severity (1 concern, 2 urgent, 3 crisis) */
    uint8_t state;                      /* vn_alert_state */
    uint8_t level;                      /* VN_LEVEL_* reached */
    uint64_t created_ms;                /* raised */
    uint8_t claimed_by[VN_ACCOUNT_LEN]; /* zeros if unclaimed */
    uint64_t acked_ms;                  /* 0 until acknowledged */
    uint64_t level_ms;                  /* when the current level was reached */
    uint32_t case_bucket, lead_bucket;  /* the store's: where its index entries are */
} vn_alert;

/* Alerts per index bucket (see vn_alerts_pick_run). */
#define VN_ALERT_BUCKET    256
#define VN_ALERT_NO_BUCKET 0xFFFFFFFFu

const char *vn_alerts_kind_name(uint8_t kind);
const char *vn_alerts_state_name(uint8_t state);

/* Creates an alert (id filled in). */
vn_err vn_alerts_create(vn_sstore *st, vn_alert *a);
/* VN_ENOTFOUND if there is no such alert. */
vn_err vn_alerts_get(vn_sstore *st, const uint8_t id[VN_ALERT_ID_LEN], vn_alert *a);
vn_err vn_alerts_put(vn_sstore *st, const vn_alert *a);
/* Forgets an alert once it is acknowledged: the server keeps an alert
 * only while it may still have to escalate it. VN_ENOTFOUND if absent. */
vn_err vn_alerts_delete(vn_sstore *st, const uint8_t id[VN_ALERT_ID_LEN]);
/* Calls fn for every alert (all cases); fn returns VN_OK to go on, or an
 * error, which ends the walk. The alerts are read first, so fn may write.
 * VN_ETOOBIG past VN_ALERTS_MAX. */
typedef vn_err (*vn_alerts_fn)(void *ud, const vn_alert *a);
vn_err vn_alerts_each(vn_sstore *st, vn_alerts_fn fn, void *ud);
/* The same for the alerts of one case only, through the case index, so a
 * list need not read every alert on the server. */
vn_err vn_alerts_each_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_alerts_fn fn,
                           void *ud);

/* What the indexes keep of an alert: enough to order, filter and find the
 * due ones without reading the alert itself. */
typedef struct vn_alert_key {
    uint8_t id[VN_ALERT_ID_LEN];
    uint8_t case_id[VN_ACCOUNT_LEN];
    uint8_t kind, severity, level, state; /* as in vn_alert */
    uint64_t created_ms;
} vn_alert_key;
/* Called once per indexed alert; returns VN_OK to go on. It must not
 * write alerts (collect first, then write). */
typedef vn_err (*vn_alert_keys_fn)(void *ud, const vn_alert_key *k);
/* The keys of one case's alerts (the case index). */
vn_err vn_alerts_keys_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                           vn_alert_keys_fn fn, void *ud);
/* The same, only from the index buckets of one severity that hold alerts
 * raised at or after since (fn still gets older ones of those buckets). */
vn_err vn_alerts_keys_recent(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t severity,
                             uint64_t since, vn_alert_keys_fn fn, void *ud);
/* The order of every alert list: most severe first, then oldest first,
 * then by id, so the order is total and a cursor names one place in it. */
int vn_alerts_key_order(const vn_alert_key *a, const vn_alert_key *b);

/* An index bucket: up to VN_ALERT_BUCKET alerts of one case (or of the
 * escalated alerts), one kind and one severity, filled in the order they
 * come. */
typedef struct vn_alert_bucket {
    uint8_t owner[VN_ACCOUNT_LEN]; /* the case, or the escalated index's tag */
    uint32_t no;                   /* its number within the owner */
    uint8_t severity;
    uint8_t kind;          /* signals and SOS alerts lie in buckets of their own */
    uint32_t count;        /* alerts in it */
    vn_alert_key min, max; /* no alert of it orders before min or after max */
} vn_alert_bucket;

/* One page of a list, chosen from the index alone: the first `limit` alerts
 * after `after` (NULL: from the first) in list order, among the alerts of
 * the cases and indexes added. A page reads the bucket records of what was
 * added and the entries of the few buckets that reach into the page, not
 * every entry. The caller sets after, sos_only, escalated_only, limit and
 * keys (limit slots), zeroes the rest, adds what it may see, runs it, and
 * frees it. */
struct pick_bucket;
typedef struct vn_alert_pick {
    const vn_alert_key *after; /* the cursor, or NULL */
    bool sos_only;             /* SOS alerts only (a buddy) */
    bool escalated_only;       /* alerts at the medical lead's level only */
    size_t limit;              /* at most this many kept */
    vn_alert_key *keys;        /* out: the page, in list order */
    size_t n;                  /* out: alerts in the page */
    size_t following;          /* out: alerts after the page */
    struct pick_bucket *buckets;
    size_t nb, cap;
} vn_alert_pick;
vn_err vn_alerts_pick_case(vn_sstore *st, vn_alert_pick *p, const uint8_t case_id[VN_ACCOUNT_LEN]);
vn_err vn_alerts_pick_escalated(vn_sstore *st, vn_alert_pick *p);
vn_err vn_alerts_pick_run(vn_sstore *st, vn_alert_pick *p);
void vn_alerts_pick_free(vn_alert_pick *p);
/* The keys of the alerts that reached the medical lead (level
 * VN_LEVEL_MEDICAL_LEAD), of every case: a lead's list reads these only. */
vn_err vn_alerts_keys_escalated(vn_sstore *st, vn_alert_keys_fn fn, void *ud);
/* The keys of the alerts below the medical lead's level, the only ones the
 * escalation sweep may still move. */
vn_err vn_alerts_keys_climbing(vn_sstore *st, vn_alert_keys_fn fn, void *ud);
/* The same keys in bounded steps (vn_kv_each_from): at most max after
 * *pos, in no meaningful order; pos->done once all were read. For the
 * sweep, which must not read every climbing alert in one loop turn. */
vn_err vn_alerts_keys_climbing_from(vn_sstore *st, vn_kv_pos *pos, size_t max, vn_alert_keys_fn fn,
                                    void *ud);
/* Builds the indexes anew, in one transaction, when they do not hold one
 * entry per alert: alerts stored before an index existed (or by an older
 * server) are in none until rewritten. *indexed gets the number of alerts
 * indexed, 0 when the indexes were whole. Call it at start. */
vn_err vn_alerts_reindex(vn_sstore *st, size_t *indexed);
/* Deletes every alert of a case (with its purge). */
vn_err vn_alerts_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN]);
/* Forgets an account as claimer (with its deletion). */
vn_err vn_alerts_forget_account(vn_sstore *st, const uint8_t account[VN_ACCOUNT_LEN]);

#endif
