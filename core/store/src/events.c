/* The events table. */
#include "vn/events.h"

#include "sstore_internal.h"
#include "vn/array.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

static void event_key(uint8_t k[VN_ACCOUNT_LEN + 5], const uint8_t case_id[VN_ACCOUNT_LEN],
                      int32_t day, uint8_t kind)
{
    memcpy(k, case_id, VN_ACCOUNT_LEN);
    vn_be_put32(k + VN_ACCOUNT_LEN, (uint32_t)day);
    k[VN_ACCOUNT_LEN + 4] = kind;
}

vn_err vn_events_add(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t day,
                     vn_event_kind kind)
{
    uint8_t k[VN_ACCOUNT_LEN + 5], cnt[4];
    void *v = NULL;
    size_t n;
    uint32_t count = 0;
    event_key(k, case_id, day, (uint8_t)kind);
    if (st_get(st, VN_DB_EVENTS, k, sizeof k, &v, &n) == VN_OK && n == 4) count = vn_be_get32(v);
    free(v);
    vn_be_put32(cnt, count + 1);
    return st_put(st, VN_DB_EVENTS, k, sizeof k, cnt, sizeof cnt);
}

bool vn_events_has(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t day,
                   vn_event_kind kind)
{
    uint8_t k[VN_ACCOUNT_LEN + 5];
    event_key(k, case_id, day, (uint8_t)kind);
    return st_has(st, VN_DB_EVENTS, k, sizeof k);
}

struct ev_ctx {
    int32_t from; /* first day wanted */
    vn_event *ev; /* growing array */
    size_t n, cap;
};

static vn_err events_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct ev_ctx *c = ud;
    const uint8_t *p = k;
    if (kl != VN_ACCOUNT_LEN + 5 || vl != 4) return VN_ESTORE;
    int32_t day = (int32_t)vn_be_get32(p + VN_ACCOUNT_LEN);
    if (day < c->from) return VN_OK;
    for (uint32_t i = vn_be_get32(v); i > 0; i--) {
        vn_err err = vn_array_reserve(&c->ev, &c->cap, c->n + 1, sizeof *c->ev, VN_EVENTS_MAX);
        if (err) return err;
        c->ev[c->n].day = day;
        c->ev[c->n++].kind = p[VN_ACCOUNT_LEN + 4];
    }
    return VN_OK;
}

vn_err vn_events_load(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t from,
                      vn_event **out, size_t *n)
{
    struct ev_ctx c = {from, NULL, 0, 0};
    vn_err err = st_each(st, VN_DB_EVENTS, case_id, VN_ACCOUNT_LEN, events_cb, &c);
    if (err) {
        free(c.ev);
        return err;
    }
    *out = c.ev;
    *n = c.n;
    return VN_OK;
}

static bool is_contact(int kind)
{
    return kind == VN_EV_CM_CONTACT || kind == VN_EV_BUDDY_CONTACT || kind == VN_EV_SELFHELP;
}

static bool tested_on(const vn_event *ev, size_t n, int32_t day)
{
    for (size_t j = 0; j < n; j++)
        if (ev[j].day == day && ev[j].kind == VN_EV_TEST) return true;
    return false;
}

vn_err vn_events_prune(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t before,
                       size_t *pruned)
{
    struct ev_ctx c = {INT32_MIN, NULL, 0, 0};
    uint8_t k[VN_ACCOUNT_LEN + 5];
    bool seen_kind[16] = {false};
    size_t untested = 0, gone = 0;
    vn_err err = st_each(st, VN_DB_EVENTS, case_id, VN_ACCOUNT_LEN, events_cb, &c);
    /* Newest first: the first record of a contact kind met is its last,
     * which sets the next deadline; the first VN_DUE_TESTS_MAX untested
     * draws met are the tests the schedule can still list as due. */
    for (size_t i = c.n; !err && i-- > 0;) {
        const vn_event *e = &c.ev[i];
        if (i + 1 < c.n && c.ev[i + 1].day == e->day && c.ev[i + 1].kind == e->kind)
            continue; /* a record counted n times is one key, seen already */
        bool keep = e->day >= before;
        if (is_contact(e->kind)) {
            keep = keep || !seen_kind[e->kind];
            seen_kind[e->kind] = true;
        } else if (e->kind == VN_EV_DRAW_TEST && !tested_on(c.ev, c.n, e->day)) {
            keep = keep || untested < VN_DUE_TESTS_MAX;
            untested++;
        }
        if (keep) continue;
        event_key(k, case_id, e->day, (uint8_t)e->kind);
        if (!(err = st_drop(st, VN_DB_EVENTS, k, sizeof k))) gone++;
    }
    free(c.ev);
    if (pruned) *pruned = err ? 0 : gone;
    return err;
}

vn_err vn_events_drop(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t day,
                      vn_event_kind kind)
{
    uint8_t k[VN_ACCOUNT_LEN + 5];
    event_key(k, case_id, day, (uint8_t)kind);
    return st_drop(st, VN_DB_EVENTS, k, sizeof k);
}

vn_err vn_events_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    return st_del_prefix(st, VN_DB_EVENTS, case_id, VN_ACCOUNT_LEN);
}
