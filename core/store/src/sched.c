/* The sched and notices tables. */
#include "vn/sched.h"

#include "sstore_internal.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

vn_err vn_sched_last(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t *day)
{
    void *v = NULL;
    size_t n;
    vn_err err = st_get(st, VN_DB_SCHED, case_id, VN_ACCOUNT_LEN, &v, &n);
    if (!err) {
        if (n == 4)
            *day = (int32_t)vn_be_get32(v);
        else
            err = VN_ESTORE;
    }
    free(v);
    return err;
}

vn_err vn_sched_set_last(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t day)
{
    uint8_t v[4];
    vn_be_put32(v, (uint32_t)day);
    return st_put(st, VN_DB_SCHED, case_id, VN_ACCOUNT_LEN, v, sizeof v);
}

/* One record per (case, kind, item) holds the latest day a notice was sent
 * for: a notice about a later day replaces it, so no list of past notices
 * (a history of overdue tests) builds up, and one about that day or an
 * earlier one counts as sent. Several items of one kind come oldest first
 * (vn_schedule_due), so each is sent once: with "the same day" instead,
 * five overdue tests would replace each other and go out on every sweep. */
static vn_err notice_seen(vn_sstore *st, const uint8_t k[VN_ACCOUNT_LEN + 2], int32_t day,
                          bool *sent)
{
    void *old = NULL;
    size_t n = 0;
    vn_err err = st_get(st, VN_DB_NOTICES, k, VN_ACCOUNT_LEN + 2, &old, &n);
    if (err && err != VN_ENOTFOUND) return err;
    *sent = !err && n == 4 && (int32_t)vn_be_get32(old) >= day;
    free(old);
    return VN_OK;
}

vn_err vn_sched_notice_once(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t kind,
                            uint8_t item, int32_t day, bool *already)
{
    uint8_t k[VN_ACCOUNT_LEN + 2], v[4];
    memcpy(k, case_id, VN_ACCOUNT_LEN);
    k[VN_ACCOUNT_LEN] = kind;
    k[VN_ACCOUNT_LEN + 1] = item;
    vn_be_put32(v, (uint32_t)day);
    vn_err err = notice_seen(st, k, day, already);
    if (err || *already) return err;
    return st_put(st, VN_DB_NOTICES, k, sizeof k, v, sizeof v);
}

vn_err vn_sched_notice_sent(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t kind,
                            uint8_t item, int32_t day, bool *sent)
{
    uint8_t k[VN_ACCOUNT_LEN + 2];
    memcpy(k, case_id, VN_ACCOUNT_LEN);
    k[VN_ACCOUNT_LEN] = kind;
    k[VN_ACCOUNT_LEN + 1] = item;
    return notice_seen(st, k, day, sent);
}

/* Records about one alert live beside the case's notices, under the case
 * id (so they go with the case), a kind, ALERT_TAG and the alert id: a key
 * longer than a notice's, which no notice key can equal. */
#define ALERT_TAG      0xFF
#define REPORTERS_KIND 0xF0 /* the kind byte of an alert's reporters */
#define ALERT_KEY_LEN  (2 * VN_ACCOUNT_LEN + 2)

static void alert_key(uint8_t k[ALERT_KEY_LEN], const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t kind,
                      const uint8_t alert[VN_ACCOUNT_LEN])
{
    memcpy(k, case_id, VN_ACCOUNT_LEN);
    k[VN_ACCOUNT_LEN] = kind;
    k[VN_ACCOUNT_LEN + 1] = ALERT_TAG;
    memcpy(k + VN_ACCOUNT_LEN + 2, alert, VN_ACCOUNT_LEN);
}

vn_err vn_sched_alert_once(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t kind,
                           const uint8_t alert[VN_ACCOUNT_LEN], bool *already)
{
    uint8_t k[ALERT_KEY_LEN];
    if (kind == REPORTERS_KIND) return VN_EINVAL;
    alert_key(k, case_id, kind, alert);
    *already = st_has(st, VN_DB_NOTICES, k, sizeof k);
    return *already ? VN_OK : st_put(st, VN_DB_NOTICES, k, sizeof k, "", 0);
}

vn_err vn_sched_reporters(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                          const uint8_t alert[VN_ACCOUNT_LEN], uint8_t out[][VN_ACCOUNT_LEN],
                          size_t *n)
{
    uint8_t k[ALERT_KEY_LEN];
    void *v = NULL;
    size_t len = 0;
    *n = 0;
    alert_key(k, case_id, REPORTERS_KIND, alert);
    vn_err err = st_get(st, VN_DB_NOTICES, k, sizeof k, &v, &len);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (!err && (len % VN_ACCOUNT_LEN || len / VN_ACCOUNT_LEN > VN_REPORTERS_MAX)) err = VN_ESTORE;
    if (!err) {
        memcpy(out, v, len);
        *n = len / VN_ACCOUNT_LEN;
    }
    free(v);
    return err;
}

vn_err vn_sched_reporter_add(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                             const uint8_t alert[VN_ACCOUNT_LEN],
                             const uint8_t account[VN_ACCOUNT_LEN])
{
    uint8_t k[ALERT_KEY_LEN], list[VN_REPORTERS_MAX][VN_ACCOUNT_LEN];
    size_t n = 0;
    vn_err err = vn_sched_reporters(st, case_id, alert, list, &n);
    if (err) return err;
    for (size_t i = 0; i < n; i++)
        if (!memcmp(list[i], account, VN_ACCOUNT_LEN)) return VN_OK;
    if (n == VN_REPORTERS_MAX) return VN_OK;
    memcpy(list[n++], account, VN_ACCOUNT_LEN);
    alert_key(k, case_id, REPORTERS_KIND, alert);
    return st_put(st, VN_DB_NOTICES, k, sizeof k, list, n * VN_ACCOUNT_LEN);
}

/* The keys of one alert's records, collected before they are deleted. */
struct alert_keys {
    const uint8_t *alert;
    uint8_t keys[8][ALERT_KEY_LEN];
    size_t n;
};

static vn_err alert_keys_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl,
                            bool *stop)
{
    struct alert_keys *a = ud;
    const uint8_t *p = k;
    (void)v;
    (void)vl;
    if (kl != ALERT_KEY_LEN || p[VN_ACCOUNT_LEN + 1] != ALERT_TAG ||
        memcmp(p + VN_ACCOUNT_LEN + 2, a->alert, VN_ACCOUNT_LEN) != 0)
        return VN_OK;
    memcpy(a->keys[a->n++], k, ALERT_KEY_LEN);
    *stop = a->n == sizeof a->keys / sizeof a->keys[0];
    return VN_OK;
}

vn_err vn_sched_alert_forget(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                             const uint8_t alert[VN_ACCOUNT_LEN])
{
    struct alert_keys a = {.alert = alert};
    vn_err err;
    /* A case holds a dozen notices and a record or two per open alert:
     * one walk of them finds this alert's. */
    do {
        a.n = 0;
        err = st_each(st, VN_DB_NOTICES, case_id, VN_ACCOUNT_LEN, alert_keys_cb, &a);
        for (size_t i = 0; !err && i < a.n; i++)
            err = st_drop(st, VN_DB_NOTICES, a.keys[i], ALERT_KEY_LEN);
    } while (!err && a.n == sizeof a.keys / sizeof a.keys[0]);
    return err;
}
vn_err vn_sched_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    vn_err err = st_begin(st);
    if (err) return err;
    if ((err = st_del_prefix(st, VN_DB_NOTICES, case_id, VN_ACCOUNT_LEN)) ||
        (err = st_drop(st, VN_DB_SCHED, case_id, VN_ACCOUNT_LEN)))
        return err;
    return st_commit(st);
}
