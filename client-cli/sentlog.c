/* Sent messages and the expired receipts (see sentlog.h). */
#include "sentlog.h"

#include "vn/be.h"
#include "vn/receipt.h"
#include "vn/wallclock.h"
#include "vn/frame.h"

#include <stdlib.h>
#include <string.h>

#define NOTE_PREFIX "sent"
#define NOTE_KEY    (sizeof NOTE_PREFIX - 1 + VN_RECEIPT_LEN)
#define NOTE_VAL    (VN_ACCOUNT_HEX + 8) /* recipient, time sent (ms) */
/* A note is useless once the server no longer keeps its receipt: the
 * mail TTL (30 days by default) plus the receipt's 30 days, with room for
 * a server with a TTL up to 60 days. Longer would keep a count of what was
 * sent on the device for longer (docs/CLIENT-STORE.md). */
#define NOTE_KEEP_MS (90ULL * 86400000)
#define DAY_MS       86400000ULL
#define PRUNE_EVERY  DAY_MS
#define PRUNE_BATCH  1024
#define SINCE_KEY    "expired_since"
#define PRUNED_KEY   "sent_pruned"

static void note_key(const uint8_t receipt[VN_RECEIPT_LEN], uint8_t key[NOTE_KEY])
{
    memcpy(key, NOTE_PREFIX, sizeof NOTE_PREFIX - 1);
    memcpy(key + sizeof NOTE_PREFIX - 1, receipt, VN_RECEIPT_LEN);
}

vn_err vn_sentlog_note(vn_client *c, const char *to, const uint8_t *id, size_t idlen)
{
    uint8_t receipt[VN_RECEIPT_LEN], key[NOTE_KEY], val[NOTE_VAL];
    if (idlen != VN_MSGID_LEN || !vn_account_valid(to)) return VN_EINVAL;
    vn_receipt_of(id, receipt);
    note_key(receipt, key);
    memcpy(val, to, VN_ACCOUNT_HEX);
    vn_be_put64(val + VN_ACCOUNT_HEX, vn_wallclock_ms());
    return vn_kv_put(c->kv, CDB_CONFIG, key, sizeof key, val, sizeof val);
}

static uint64_t cfg_u64(vn_client *c, const char *name)
{
    uint8_t b[8];
    size_t n = 0;
    return vn_client_cfg_get(c, name, b, sizeof b, &n) == VN_OK && n == 8 ? vn_be_get64(b) : 0;
}

static vn_err cfg_put_u64(vn_client *c, const char *name, uint64_t v)
{
    uint8_t b[8];
    vn_be_put64(b, v);
    return vn_client_cfg_put(c, name, b, sizeof b);
}

/* Tells the user about one of our messages that expired; drops its note. */
static vn_err report(vn_client *c, const uint8_t *receipt)
{
    uint8_t key[NOTE_KEY];
    void *v = NULL;
    size_t n = 0;
    char to[VN_ACCOUNT_HEX + 1], name[128], when[32];
    note_key(receipt, key);
    vn_err err = vn_kv_get(c->kv, CDB_CONFIG, key, sizeof key, &v, &n);
    if (err == VN_ENOTFOUND) return VN_ENOTFOUND; /* someone else's */
    if (err) return err;
    if (n == NOTE_VAL) {
        memcpy(to, v, VN_ACCOUNT_HEX);
        to[VN_ACCOUNT_HEX] = '\0';
        vn_iso_time(vn_be_get64((const uint8_t *)v + VN_ACCOUNT_HEX), when, sizeof when);
        const char *label = vn_client_name_of(c, to, name, sizeof name);
        fprintf(stderr,
                "vangnet: NOT DELIVERED: your message to %s sent %s expired on the server "
                "before %s fetched it; send it again if it still matters\n",
                label ? label : to, when, label ? label : "the recipient");
    }
    free(v);
    err = vn_kv_del(c->kv, CDB_CONFIG, key, sizeof key);
    return err == VN_ENOTFOUND ? VN_OK : err;
}

struct prune {
    uint64_t cutoff;           /* notes sent before this go */
    uint8_t (*keys)[NOTE_KEY]; /* found */
    size_t n;                  /* how many */
};

static vn_err prune_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct prune *p = ud;
    if (kl != NOTE_KEY || memcmp(k, NOTE_PREFIX, sizeof NOTE_PREFIX - 1) != 0 || vl != NOTE_VAL ||
        vn_be_get64((const uint8_t *)v + VN_ACCOUNT_HEX) >= p->cutoff)
        return VN_OK;
    memcpy(p->keys[p->n++], k, NOTE_KEY);
    *stop = p->n == PRUNE_BATCH;
    return VN_OK;
}

/* Drops notes the server can no longer report on; a walk of the config
 * database, so once a day at most. */
static vn_err prune(vn_client *c, uint64_t now)
{
    struct prune p = {now > NOTE_KEEP_MS ? now - NOTE_KEEP_MS : 0, NULL, 0};
    if (now - cfg_u64(c, PRUNED_KEY) < PRUNE_EVERY) return VN_OK;
    if (!(p.keys = malloc(PRUNE_BATCH * sizeof *p.keys))) return VN_ENOMEM;
    vn_err err = vn_kv_each(c->kv, CDB_CONFIG, NULL, 0, prune_cb, &p);
    for (size_t i = 0; !err && i < p.n; i++)
        if ((err = vn_kv_del(c->kv, CDB_CONFIG, p.keys[i], NOTE_KEY)) == VN_ENOTFOUND) err = VN_OK;
    free(p.keys);
    return err ? err : cfg_put_u64(c, PRUNED_KEY, now);
}

/* One page of the list from since_ms; reports ours. *n gets how many
 * receipts it held, *more and *server_now what the server said. */
static vn_err check_page(vn_client *c, uint64_t since_ms, uint32_t offset, size_t *mine, size_t *n,
                         bool *more, uint64_t *server_now)
{
    Vn__Reply *rep = NULL;
    Vn__ExpiredGet get = VN__EXPIRED_GET__INIT;
    get.since_ms = since_ms;
    get.offset = offset;
    Vn__Request req = VN__REQUEST__INIT;
    req.body_case = VN__REQUEST__BODY_EXPIRED_GET;
    req.expired_get = &get;
    vn_err err = vn_conn_call(c->conn, &req, &rep);
    if (err) return err;
    if (rep->body_case != VN__REPLY__BODY_EXPIRED_LIST) {
        vn_frame_reply_free(rep);
        return VN_EPROTO;
    }
    const Vn__ExpiredList *l = rep->expired_list;
    for (size_t i = 0; !err && i < l->n_receipts; i++) {
        if (l->receipts[i].len != VN_RECEIPT_LEN) continue;
        err = report(c, l->receipts[i].data);
        if (!err) (*mine)++;
        if (err == VN_ENOTFOUND) err = VN_OK;
    }
    *n = l->n_receipts;
    *more = l->more;
    *server_now = l->server_time_ms;
    vn_frame_reply_free(rep);
    return err;
}

/* Most pages one check reads (3000 receipts each). */
#define PAGES_MAX 32

vn_err vn_sentlog_check(vn_client *c, size_t *found)
{
    size_t mine = 0, n = 0;
    uint32_t offset = 0;
    bool more = true;
    uint64_t server_now = 0, since = 0;
    if (found) *found = 0;
    if (!c->account[0]) return VN_OK;
    vn_err err = vn_client_connect(c);
    if (err) return err;
    since = cfg_u64(c, SINCE_KEY);
    for (int page = 0; !err && more && page < PAGES_MAX; page++) {
        err = check_page(c, since, offset, &mine, &n, &more, &server_now);
        offset += (uint32_t)n;
    }
    /* Receipts are kept by the day: the current day is asked again next
     * time, as more of it may expire. A list not read to its end is not
     * moved past. */
    if (!err && !more && server_now > DAY_MS) err = cfg_put_u64(c, SINCE_KEY, server_now - DAY_MS);
    if (!err) err = prune(c, vn_wallclock_ms());
    if (found) *found = mine;
    return err;
}
