/* Storage quotas and the crisis reserve (see quota.h). */
#include "quota.h"

#include "vn/cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Remembered senders' last messages and crisis passes: small tables in
 * memory, the oldest entry replaced when full. Losing one (a restart, or
 * many senders at once) only means the next copy of a team message is
 * charged as a message of its own, or a report waits for room. */
#define RECENT_MAX 256
#define PASSES_MAX 256

/* The copies of one team message reach the server one send per member
 * (client-cli/outbox.c: the sealed layer is per recipient), with a fresh
 * id each, and nothing on the wire says they belong together: the case
 * travels sealed. What the server can see is the same sender sending
 * records of the same size to different recipients right after each
 * other. Such a run, within COPY_MS of its first send and to at most a
 * case's members, counts once against the sender: a sender pays for what
 * they wrote, not for the size of their team. A sender who sends 1:1
 * messages of one padded size to several members at once is counted the
 * same way; that is the price of counting team messages once, and it is
 * bounded: one charge stores at most a case's members' copies, each within
 * its recipient's quota. */
#define COPY_MS 60000ULL

typedef struct recent {
    uint8_t sender[VN_ACCOUNT_LEN];
    uint64_t first_ms; /* monotonic time of the charged send */
    size_t bytes;      /* its record size */
    size_t nto;
    uint8_t to[VN_CASE_MEMBERS_MAX][VN_ACCOUNT_LEN];
} recent;

typedef struct pass {
    uint8_t account[VN_ACCOUNT_LEN];
    uint64_t until_ms; /* monotonic */
    unsigned left;     /* sends it still covers */
} pass;

struct vn_quota {
    vn_quota_limits lim;
    vn_quota_log *log;      /* the server's logger */
    uint64_t checked_ms;    /* when the free pages were last walked */
    size_t used_at_walk;    /* pages in use then */
    uint64_t bytes_at_walk; /* vn_kv_put_bytes' committed bytes then */
    bool full;              /* past the ordinary threshold at the last check */
    recent recent[RECENT_MAX];
    size_t nrecent;
    pass passes[PASSES_MAX];
    size_t npasses;
};

void vn_quota_limits_default(vn_quota_limits *l, size_t map_size)
{
    uint64_t bytes = map_size / 64;
    uint64_t count = bytes / 1024 > 64 ? bytes / 1024 : 64;
    if (!l->sender_bytes) l->sender_bytes = bytes;
    if (!l->recipient_bytes) l->recipient_bytes = bytes;
    if (!l->sender_envelopes) l->sender_envelopes = count;
    if (!l->recipient_envelopes) l->recipient_envelopes = count;
    if (!l->reserve_pct) l->reserve_pct = 5;
}

vn_err vn_quota_open(vn_quota **out, const vn_quota_limits *l, vn_quota_log *log)
{
    vn_quota *q = calloc(1, sizeof *q);
    if (!q) return VN_ENOMEM;
    q->lim = *l;
    q->log = log;
    *out = q;
    return VN_OK;
}

void vn_quota_close(vn_quota **self_p)
{
    if (!self_p || !*self_p) return;
    free(*self_p);
    *self_p = NULL;
}

const vn_quota_limits *vn_quota_limits_get(const vn_quota *self)
{
    return &self->lim;
}

size_t vn_quota_margin_pages(size_t map_pages)
{
    return map_pages / 10 > 256 ? map_pages / 10 : 256;
}

bool vn_quota_past_ordinary(size_t used_pages, size_t map_pages, unsigned reserve_pct)
{
    size_t keep = vn_quota_margin_pages(map_pages) + map_pages / 100 * reserve_pct +
                  map_pages % 100 * reserve_pct / 100;
    return used_pages + keep >= map_pages;
}

/* Pages that bytes put after a reading may take: their own and as many
 * again for the tree pages the writes copy. It errs on the full side (a
 * delete is not counted); the next walk of the free pages corrects it. */
static size_t grown_pages(uint64_t bytes)
{
    return (size_t)(bytes / 4096 * 2 + (bytes ? 1 : 0));
}

bool vn_quota_store_full(vn_quota *self, vn_kv *kv, uint64_t mono_ms)
{
    size_t used = 0, total = 0;
    uint64_t all = 0, committed = 0;
    if (vn_kv_usage(kv, false, &used, &total) != VN_OK) return self->full;
    vn_kv_put_bytes(kv, &all, &committed);
    bool full = false;
    /* The readings know committed transactions only, and one group commit
     * may hold hundreds of sends: without what this transaction (and, for
     * the walk, every one since it) put, a batch would run through the
     * crisis reserve before the threshold is seen. */
    size_t band = self->full ? (total / 100 > 16 ? total / 100 : 16) : 0;
    if (vn_quota_past_ordinary(used + grown_pages(all - committed) + band, total,
                               self->lim.reserve_pct)) {
        /* The high-water mark says maybe; free pages decide, walked at
         * most every 200 ms (as vn_server_nearly_full does). */
        if (!self->checked_ms || mono_ms - self->checked_ms >= 200) {
            size_t walked = 0;
            if (vn_kv_usage(kv, true, &walked, &total) != VN_OK) return self->full;
            self->checked_ms = mono_ms;
            self->used_at_walk = walked;
            self->bytes_at_walk = committed;
        }
        used = self->used_at_walk + grown_pages(all - self->bytes_at_walk);
        /* Once past, the store counts as past until it is a band below the
         * threshold: room for one message at a time would make it flap. */
        full = vn_quota_past_ordinary(used + band, total, self->lim.reserve_pct);
    }
    if (full != self->full && self->log)
        self->log(full ? "store past the ordinary threshold (%zu of %zu pages): only alerts "
                         "and their reports may grow it"
                       : "store below the ordinary threshold again (%zu of %zu pages)",
                  used, total);
    self->full = full;
    return full;
}

vn_quota_which vn_quota_sender_over(const vn_mailbox_sent *s, const vn_quota_limits *l,
                                    uint64_t bytes, uint64_t envelopes)
{
    if (l->sender_envelopes && s->envelopes + envelopes > l->sender_envelopes)
        return VN_QUOTA_SENDER_ENVELOPES;
    if (l->sender_bytes && s->bytes + bytes > l->sender_bytes) return VN_QUOTA_SENDER_BYTES;
    return VN_QUOTA_NONE;
}

uint64_t vn_quota_until_tomorrow(uint64_t now)
{
    return VN_MAILBOX_DAY_MS - now % VN_MAILBOX_DAY_MS;
}

static recent *recent_of(vn_quota *q, const uint8_t sender[VN_ACCOUNT_LEN])
{
    for (size_t i = 0; i < q->nrecent; i++)
        if (!memcmp(q->recent[i].sender, sender, VN_ACCOUNT_LEN)) return &q->recent[i];
    return NULL;
}

/* Whether this send is another copy of the sender's last message. */
static bool is_copy(vn_quota *q, const vn_quota_send *s)
{
    const recent *r = recent_of(q, s->from);
    if (!r || r->bytes != s->bytes || s->mono_ms - r->first_ms > COPY_MS ||
        r->nto >= VN_CASE_MEMBERS_MAX)
        return false;
    for (size_t i = 0; i < r->nto; i++)
        if (!memcmp(r->to[i], s->to, VN_ACCOUNT_LEN)) return false;
    return true;
}

static void remember(vn_quota *q, const vn_quota_send *s)
{
    recent *r = recent_of(q, s->from);
    if (r && s->copy) {
        memcpy(r->to[r->nto++], s->to, VN_ACCOUNT_LEN);
        return;
    }
    if (!r && q->nrecent < RECENT_MAX) r = &q->recent[q->nrecent++];
    if (!r) {
        /* Full: the oldest message makes room. */
        r = &q->recent[0];
        for (size_t i = 1; i < q->nrecent; i++)
            if (q->recent[i].first_ms < r->first_ms) r = &q->recent[i];
    }
    memcpy(r->sender, s->from, VN_ACCOUNT_LEN);
    r->first_ms = s->mono_ms;
    r->bytes = s->bytes;
    r->nto = 1;
    memcpy(r->to[0], s->to, VN_ACCOUNT_LEN);
}

static pass *pass_of(vn_quota *q, const uint8_t account[VN_ACCOUNT_LEN], uint64_t mono_ms)
{
    for (size_t i = 0; i < q->npasses; i++)
        if (!memcmp(q->passes[i].account, account, VN_ACCOUNT_LEN))
            return mono_ms < q->passes[i].until_ms && q->passes[i].left ? &q->passes[i] : NULL;
    return NULL;
}

void vn_quota_pass_grant(vn_quota *self, const uint8_t account[VN_ACCOUNT_LEN], uint64_t mono_ms)
{
    pass *p = NULL;
    for (size_t i = 0; i < self->npasses && !p; i++)
        if (!memcmp(self->passes[i].account, account, VN_ACCOUNT_LEN)) p = &self->passes[i];
    if (!p && self->npasses < PASSES_MAX) p = &self->passes[self->npasses++];
    if (!p) {
        /* Full: the pass that ends first makes room. */
        p = &self->passes[0];
        for (size_t i = 1; i < self->npasses; i++)
            if (self->passes[i].until_ms < p->until_ms) p = &self->passes[i];
    }
    memcpy(p->account, account, VN_ACCOUNT_LEN);
    p->until_ms = mono_ms + VN_QUOTA_PASS_MS;
    p->left = VN_QUOTA_PASS_SENDS;
}

/* Whether the sender's crisis pass covers s. */
static bool pass_covers(vn_quota *q, const vn_quota_send *s)
{
    return s->bytes <= VN_QUOTA_PASS_BYTES && pass_of(q, s->from, s->mono_ms);
}

/* Fills in when to retry a refused send and returns VN_EFULL. */
static vn_err refuse(vn_quota_send *s)
{
    /* The sender's count starts over at midnight; a mailbox drains when its
     * owner fetches, which the server cannot foresee: a minute. */
    s->retry_ms = s->over == VN_QUOTA_SENDER_BYTES || s->over == VN_QUOTA_SENDER_ENVELOPES
                      ? vn_quota_until_tomorrow(s->now)
                      : 60000;
    return VN_EFULL;
}

/* Charges a stored send: the crisis pass, or the sender's count (a team
 * copy is not charged again), and remembers it for its copies. */
static vn_err charge(vn_quota *q, vn_sstore *st, vn_quota_send *s)
{
    if (s->crisis) {
        pass *p = pass_of(q, s->from, s->mono_ms);
        if (p) p->left--;
        return VN_OK;
    }
    if (!s->copy) {
        s->sent.bytes += s->bytes;
        s->sent.envelopes++;
        vn_err err = vn_mailbox_sent_put(st, s->from, &s->sent);
        if (err) return err;
    }
    remember(q, s);
    return VN_OK;
}

vn_err vn_quota_send_put(vn_quota *self, vn_sstore *st, vn_kv *kv, vn_quota_send *s,
                         const Vn__Envelope *env, bool *dup, uint64_t *time_ms)
{
    vn_mailbox_limit lim = {self->lim.recipient_bytes, self->lim.recipient_envelopes};
    vn_mailbox_over over = VN_MAILBOX_OVER_NONE;
    s->crisis = false;
    s->over = VN_QUOTA_NONE;
    s->retry_ms = 0;
    s->bytes = vn_mailbox_record_size(env);
    vn_err err = vn_mailbox_sent_get(st, s->from, vn_mailbox_day(s->now), &s->sent);
    if (err) return err;
    s->copy = is_copy(self, s);
    if (vn_quota_store_full(self, kv, s->mono_ms))
        s->over = VN_QUOTA_STORE;
    else if (!s->copy)
        s->over = vn_quota_sender_over(&s->sent, &self->lim, s->bytes, 1);
    /* A report that goes with an alert goes past every quota, into the
     * reserve. */
    if (s->over && !(s->crisis = pass_covers(self, s))) {
        /* A resend of a stored message passes whatever the counts say. */
        if (vn_mailbox_holds(st, s->to, env->id.data))
            return vn_mailbox_put(st, s->to, env, dup, time_ms);
        return refuse(s);
    }
    /* The recipient's quota is checked by the put, after it has found a
     * resend (never refused), in the transaction that writes the count. */
    err = vn_mailbox_put_within(st, s->to, env, s->crisis ? NULL : &lim, &over, &s->held, dup,
                                time_ms);
    if (err == VN_EFULL && over != VN_MAILBOX_OVER_NONE) {
        s->over =
            over == VN_MAILBOX_OVER_BYTES ? VN_QUOTA_RECIPIENT_BYTES : VN_QUOTA_RECIPIENT_ENVELOPES;
        if (!(s->crisis = pass_covers(self, s))) return refuse(s);
        err = vn_mailbox_put_within(st, s->to, env, NULL, NULL, NULL, dup, time_ms);
    }
    if (err || *dup) return err;
    if (s->crisis) s->over = VN_QUOTA_NONE;
    return charge(self, st, s);
}

/* n bytes as a person reads them. */
static void human(uint64_t n, char *buf, size_t size)
{
    if (n >= 1 << 20)
        snprintf(buf, size, "%.1f MiB", (double)n / (1 << 20));
    else
        snprintf(buf, size, "%.1f KiB", (double)n / 1024);
}

void vn_quota_refusal(const vn_quota *self, const vn_quota_send *s, char *msg, size_t size)
{
    const vn_quota_limits *l = &self->lim;
    char a[32], b[32];
    switch (s->over) {
    case VN_QUOTA_SENDER_BYTES:
    case VN_QUOTA_SENDER_ENVELOPES:
        human(s->sent.bytes, a, sizeof a);
        human(l->sender_bytes, b, sizeof b);
        snprintf(msg, size,
                 "sender's quota reached (%s): you sent %llu messages (%s) today, and one "
                 "account may send %llu messages or %s a day (a team message counts once); the "
                 "message waits on your device and goes out after midnight UTC",
                 s->over == VN_QUOTA_SENDER_BYTES ? "bytes" : "messages",
                 (unsigned long long)s->sent.envelopes, a, (unsigned long long)l->sender_envelopes,
                 b);
        return;
    case VN_QUOTA_RECIPIENT_BYTES:
    case VN_QUOTA_RECIPIENT_ENVELOPES:
        /* The limits, not what the mailbox holds: a sender learns that it is
         * full, which the refusal says anyway, and not how much others sent. */
        human(l->recipient_bytes, b, sizeof b);
        snprintf(msg, size,
                 "recipient's quota reached (%s): their mailbox is full (it holds at most %llu "
                 "undelivered messages or %s); the message waits on your device and goes out "
                 "once they fetch their mail",
                 s->over == VN_QUOTA_RECIPIENT_BYTES ? "bytes" : "messages",
                 (unsigned long long)l->recipient_envelopes, b);
        return;
    default:
        snprintf(msg, size,
                 "the server's storage is full: the message waits on your device and is sent "
                 "when there is room (alerts and SOS still get through)");
        return;
    }
}
