/* The wellbeing check's store on this device (wellbeing.h). One record per
 * check: key the time answered (8 bytes, big-endian, so the walk is in
 * time order), value a format byte and one byte per item. */
#include "wellbeing.h"

#include "vn/be.h"
#include "vn/day.h"
#include "vn/wallclock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_FORMAT 1
#define RECORD_LEN    (1 + VN_WB_ITEMS)
#define EVERY_KEY     "wellbeing_every"
#define DAY_MS        86400000ULL

vn_err vn_wellbeing_now(uint64_t *ms)
{
    const char *v = getenv("VANGNET_TEST_NOW");
    int32_t day;
    if (!v || !v[0]) {
        *ms = vn_wallclock_ms();
        return VN_OK;
    }
    if (vn_day_parse(v, &day) || day < 0) {
        fprintf(stderr, "vangnet: VANGNET_TEST_NOW=%s is not a date YYYY-MM-DD\n", v);
        return VN_EINVAL;
    }
    fprintf(stderr, "vangnet: WARNING: VANGNET_TEST_NOW is set (tests only): today is %s\n", v);
    *ms = (uint64_t)day * DAY_MS + DAY_MS / 2;
    return VN_OK;
}

vn_err vn_wellbeing_store(vn_client *c, const vn_wellbeing_check *chk)
{
    uint8_t key[8], val[RECORD_LEN];
    vn_be_put64(key, chk->ms);
    val[0] = RECORD_FORMAT;
    memcpy(val + 1, chk->answers, VN_WB_ITEMS);
    return vn_kv_put(c->kv, CDB_WELLBEING, key, sizeof key, val, sizeof val);
}

struct loading {
    uint64_t since;            /* checks before this are left out */
    vn_wellbeing_check *items; /* grown as found */
    size_t n, cap;
};

static vn_err load_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct loading *l = ud;
    const uint8_t *val = v;
    (void)stop;
    /* A record of another format or length is not ours to read. */
    if (kl != 8 || vl != RECORD_LEN || val[0] != RECORD_FORMAT) return VN_OK;
    uint64_t ms = vn_be_get64(k);
    if (ms < l->since) return VN_OK;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        vn_wellbeing_check *grown = realloc(l->items, cap * sizeof *grown);
        if (!grown) return VN_ENOMEM;
        l->items = grown;
        l->cap = cap;
    }
    vn_wellbeing_check *chk = &l->items[l->n++];
    chk->ms = ms;
    chk->day = vn_day_local(ms, NULL);
    memcpy(chk->answers, val + 1, VN_WB_ITEMS);
    for (size_t i = 0; i < VN_WB_ITEMS; i++)
        if (chk->answers[i] > VN_WB_SCALE_MAX) chk->answers[i] = VN_WB_SCALE_MAX;
    return VN_OK;
}

vn_err vn_wellbeing_load(vn_client *c, uint64_t since_ms, vn_wellbeing_check **out, size_t *n)
{
    struct loading l = {since_ms, NULL, 0, 0};
    vn_err err = vn_kv_each(c->kv, CDB_WELLBEING, NULL, 0, load_cb, &l);
    if (err) {
        free(l.items);
        l.items = NULL;
        l.n = 0;
    }
    *out = l.items;
    *n = l.n;
    return err;
}

int32_t vn_wellbeing_every(vn_client *c)
{
    uint8_t b[4];
    size_t n = 0;
    if (vn_client_cfg_get(c, EVERY_KEY, b, sizeof b, &n) != VN_OK || n != 4)
        return VN_WB_EVERY_DEFAULT;
    int32_t d = (int32_t)vn_be_get32(b);
    return d >= 1 && d <= 366 ? d : VN_WB_EVERY_DEFAULT;
}

vn_err vn_wellbeing_set_every(vn_client *c, int32_t days)
{
    uint8_t b[4];
    vn_be_put32(b, (uint32_t)days);
    return vn_client_cfg_put(c, EVERY_KEY, b, sizeof b);
}
