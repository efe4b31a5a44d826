/* Contracts, records, absences and scheduler bookkeeping in the store. */
#include "vn/contract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CASE_LEN 16

int32_t vn_local_day(uint64_t ms, int *minute)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    if (minute) *minute = tm.tm_hour * 60 + tm.tm_min;
    return vn_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void vn_day_format(int32_t day, char out[11])
{
    int y, m, d;
    vn_civil_from_days(day, &y, &m, &d);
    /* Dates stay within 1970..9999 (vn_day_parse); unsigned keeps the
     * width known to the compiler. */
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

vn_err vn_day_parse(const char *s, int32_t *day)
{
    int y, m, d, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || s[n] != '\0' || n != 10)
        return VN_EINVAL;
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) return VN_EINVAL;
    int32_t v = vn_days_from_civil(y, m, d);
    int yy, mm, dd;
    vn_civil_from_days(v, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d) return VN_EINVAL; /* 2027-02-30 */
    *day = v;
    return VN_OK;
}

vn_err vn_contract_terms(const Vn__Contract *c, vn_terms *t)
{
    int32_t start;
    if (vn_day_parse(c->start_date, &start)) return VN_EINVAL;
    if (c->n_phases == 0 || c->n_phases > VN_PHASES_MAX) return VN_EINVAL;
    memset(t, 0, sizeof *t);
    t->start_day = start;
    t->months = (uint16_t)(c->months > 600 ? 0 : c->months);
    t->nphases = (uint8_t)c->n_phases;
    for (size_t i = 0; i < c->n_phases; i++) {
        if (c->phases[i]->from_month > 600 || c->phases[i]->to_month > 600 ||
            c->phases[i]->tests_per_month > 31)
            return VN_EINVAL;
        t->phases[i].from_month = (uint16_t)c->phases[i]->from_month;
        t->phases[i].to_month = (uint16_t)c->phases[i]->to_month;
        t->phases[i].tests_per_month = (uint16_t)c->phases[i]->tests_per_month;
    }
    if (c->cm_contact_days > 366 || c->buddy_contact_days > 366 || c->selfhelp_days > 366 ||
        c->checkin_start_min > 1440 || c->checkin_end_min > 1440 || c->absence_max_days > 366 ||
        c->remind_days > 60)
        return VN_EINVAL;
    t->cm_contact_days = (uint16_t)c->cm_contact_days;
    t->buddy_contact_days = (uint16_t)c->buddy_contact_days;
    t->selfhelp_days = (uint16_t)c->selfhelp_days;
    t->checkin_start_min = (uint16_t)c->checkin_start_min;
    t->checkin_end_min = (uint16_t)c->checkin_end_min;
    t->absence_max_days = (uint16_t)c->absence_max_days;
    t->remind_days = (uint16_t)c->remind_days;
    return vn_terms_validate(t);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

vn_err vn_contract_from_terms(const vn_terms *t, const char *case_hex, const char *tz,
                              Vn__Contract **out)
{
    char date[11];
    Vn__Contract *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    vn__contract__init(c);
    *out = c;
    vn_day_format(t->start_day, date);
    c->case_id = dup_str(case_hex);
    c->start_date = dup_str(date);
    c->time_zone = dup_str(tz);
    if (!c->case_id || !c->start_date || !c->time_zone) return VN_ENOMEM;
    c->months = t->months;
    c->phases = calloc(t->nphases ? t->nphases : 1, sizeof *c->phases);
    if (!c->phases) return VN_ENOMEM;
    for (size_t i = 0; i < t->nphases; i++) {
        Vn__Phase *p = malloc(sizeof *p);
        if (!p) return VN_ENOMEM;
        vn__phase__init(p);
        p->from_month = t->phases[i].from_month;
        p->to_month = t->phases[i].to_month;
        p->tests_per_month = t->phases[i].tests_per_month;
        c->phases[c->n_phases++] = p;
    }
    c->cm_contact_days = t->cm_contact_days;
    c->buddy_contact_days = t->buddy_contact_days;
    c->selfhelp_days = t->selfhelp_days;
    c->checkin_start_min = t->checkin_start_min;
    c->checkin_end_min = t->checkin_end_min;
    c->absence_max_days = t->absence_max_days;
    c->remind_days = t->remind_days;
    return VN_OK;
}

static void version_key(uint8_t k[CASE_LEN + 4], const uint8_t case_id[CASE_LEN], uint32_t v)
{
    memcpy(k, case_id, CASE_LEN);
    vn_put_be32(k + CASE_LEN, v);
}

vn_err vn_contract_put(vn_sstore *st, const uint8_t case_id[16], const uint8_t *canonical,
                       size_t len, uint64_t now, uint32_t version)
{
    uint8_t k[CASE_LEN + 4];
    Vn__StoredContract sc = VN__STORED_CONTRACT__INIT;
    sc.canonical = (ProtobufCBinaryData){len, (uint8_t *)canonical};
    sc.set_ms = now;
    size_t n = vn__stored_contract__get_packed_size(&sc);
    uint8_t *buf = malloc(n);
    if (!buf) return VN_ENOMEM;
    vn__stored_contract__pack(&sc, buf);
    version_key(k, case_id, version);
    vn_err err = vn_kv_put(vn_sstore_kv(st), VN_DB_CONTRACTS, k, sizeof k, buf, n);
    free(buf);
    return err;
}

struct versions {
    uint32_t newest, newest_signed; /* version numbers, 0 if none */
};

static int versions_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl)
{
    struct versions *c = ud;
    if (kl != CASE_LEN + 4) return VN_ESTORE;
    uint32_t ver = vn_get_be32((const uint8_t *)k + CASE_LEN);
    Vn__StoredContract *sc = vn__stored_contract__unpack(NULL, vl, v);
    if (!sc) return VN_ESTORE;
    if (ver > c->newest) c->newest = ver;
    if (sc->signature.len > 0 && ver > c->newest_signed) c->newest_signed = ver;
    vn__stored_contract__free_unpacked(sc, NULL);
    return 0;
}

static vn_err load_version(vn_sstore *st, const uint8_t case_id[16], uint32_t version,
                           Vn__StoredContract **out)
{
    uint8_t k[CASE_LEN + 4], *v = NULL;
    size_t n;
    version_key(k, case_id, version);
    vn_err err = vn_kv_get(vn_sstore_kv(st), VN_DB_CONTRACTS, k, sizeof k, (void **)&v, &n);
    if (err) return err;
    *out = vn__stored_contract__unpack(NULL, n, v);
    free(v);
    return *out ? VN_OK : VN_ESTORE;
}

vn_err vn_contract_latest(vn_sstore *st, const uint8_t case_id[16], Vn__StoredContract **out)
{
    struct versions c = {0, 0};
    vn_err err = vn_kv_each(vn_sstore_kv(st), VN_DB_CONTRACTS, case_id, CASE_LEN, versions_cb, &c);
    if (err) return err;
    if (c.newest == 0) return VN_ENOTFOUND;
    if ((err = load_version(st, case_id, c.newest, out))) return err;
    (*out)->signed_version = c.newest_signed;
    return VN_OK;
}

vn_err vn_contract_in_force(vn_sstore *st, const uint8_t case_id[16], vn_terms *t)
{
    struct versions c = {0, 0};
    Vn__StoredContract *sc = NULL;
    vn_err err = vn_kv_each(vn_sstore_kv(st), VN_DB_CONTRACTS, case_id, CASE_LEN, versions_cb, &c);
    if (err) return err;
    if (c.newest_signed == 0) return VN_ENOTFOUND;
    if ((err = load_version(st, case_id, c.newest_signed, &sc))) return err;
    Vn__Contract *ct = vn__contract__unpack(NULL, sc->canonical.len, sc->canonical.data);
    err = ct ? vn_contract_terms(ct, t) : VN_ESTORE;
    if (ct) vn__contract__free_unpacked(ct, NULL);
    vn__stored_contract__free_unpacked(sc, NULL);
    return err;
}

vn_err vn_contract_sign(vn_sstore *st, const uint8_t case_id[16], uint32_t version,
                        const uint8_t *sig, size_t siglen, uint64_t now)
{
    Vn__StoredContract *sc = NULL;
    uint8_t k[CASE_LEN + 4];
    vn_err err = load_version(st, case_id, version, &sc);
    if (err) return err;
    /* Swap in the caller's signature just for packing; the unpacked
     * message owns only what it allocated itself. */
    ProtobufCBinaryData own = sc->signature;
    sc->signature = (ProtobufCBinaryData){siglen, (uint8_t *)sig};
    sc->signed_ms = now;
    sc->signed_version = 0;
    size_t n = vn__stored_contract__get_packed_size(sc);
    uint8_t *buf = malloc(n);
    if (buf) vn__stored_contract__pack(sc, buf);
    sc->signature = own;
    vn__stored_contract__free_unpacked(sc, NULL);
    if (!buf) return VN_ENOMEM;
    version_key(k, case_id, version);
    err = vn_kv_put(vn_sstore_kv(st), VN_DB_CONTRACTS, k, sizeof k, buf, n);
    free(buf);
    return err;
}

static void event_key(uint8_t k[CASE_LEN + 5], const uint8_t case_id[16], int32_t day, uint8_t kind)
{
    memcpy(k, case_id, CASE_LEN);
    vn_put_be32(k + CASE_LEN, (uint32_t)day);
    k[CASE_LEN + 4] = kind;
}

vn_err vn_events_add(vn_sstore *st, const uint8_t case_id[16], int32_t day, vn_event_kind kind)
{
    uint8_t k[CASE_LEN + 5], cnt[4];
    void *v = NULL;
    size_t n;
    uint32_t count = 0;
    event_key(k, case_id, day, (uint8_t)kind);
    if (vn_kv_get(vn_sstore_kv(st), VN_DB_EVENTS, k, sizeof k, &v, &n) == VN_OK && n == 4)
        count = vn_get_be32(v);
    free(v);
    vn_put_be32(cnt, count + 1);
    return vn_kv_put(vn_sstore_kv(st), VN_DB_EVENTS, k, sizeof k, cnt, sizeof cnt);
}

bool vn_events_has(vn_sstore *st, const uint8_t case_id[16], int32_t day, vn_event_kind kind)
{
    uint8_t k[CASE_LEN + 5];
    event_key(k, case_id, day, (uint8_t)kind);
    return vn_kv_has(vn_sstore_kv(st), VN_DB_EVENTS, k, sizeof k);
}

struct ev_ctx {
    int32_t from; /* first day wanted */
    vn_event *ev; /* growing array */
    size_t n, cap;
};

static int events_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl)
{
    struct ev_ctx *c = ud;
    const uint8_t *p = k;
    if (kl != CASE_LEN + 5 || vl != 4) return VN_ESTORE;
    int32_t day = (int32_t)vn_get_be32(p + CASE_LEN);
    if (day < c->from) return 0;
    for (uint32_t i = vn_get_be32(v); i > 0; i--) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 256;
            vn_event *ne = realloc(c->ev, cap * sizeof *ne);
            if (!ne) return VN_ENOMEM;
            c->ev = ne;
            c->cap = cap;
        }
        c->ev[c->n].day = day;
        c->ev[c->n++].kind = p[CASE_LEN + 4];
    }
    return 0;
}

vn_err vn_events_load(vn_sstore *st, const uint8_t case_id[16], int32_t from, vn_event **out,
                      size_t *n)
{
    struct ev_ctx c = {from, NULL, 0, 0};
    vn_err err = vn_kv_each(vn_sstore_kv(st), VN_DB_EVENTS, case_id, CASE_LEN, events_cb, &c);
    if (err) {
        free(c.ev);
        return err;
    }
    *out = c.ev;
    *n = c.n;
    return VN_OK;
}

vn_err vn_absence_add(vn_sstore *st, const uint8_t case_id[16], int32_t from, int32_t to,
                      vn_absence_kind kind)
{
    uint8_t k[CASE_LEN + 5], v[4];
    memcpy(k, case_id, CASE_LEN);
    vn_put_be32(k + CASE_LEN, (uint32_t)from);
    k[CASE_LEN + 4] = (uint8_t)kind;
    vn_put_be32(v, (uint32_t)to);
    return vn_kv_put(vn_sstore_kv(st), VN_DB_ABSENCES, k, sizeof k, v, sizeof v);
}

struct abs_ctx {
    uint8_t kind;  /* wanted kind */
    vn_absence *a; /* growing array */
    size_t n, cap;
};

static int absences_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl)
{
    struct abs_ctx *c = ud;
    const uint8_t *p = k;
    if (kl != CASE_LEN + 5 || vl != 4) return VN_ESTORE;
    if (p[CASE_LEN + 4] != c->kind) return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        vn_absence *na = realloc(c->a, cap * sizeof *na);
        if (!na) return VN_ENOMEM;
        c->a = na;
        c->cap = cap;
    }
    c->a[c->n].from_day = (int32_t)vn_get_be32(p + CASE_LEN);
    c->a[c->n++].to_day = (int32_t)vn_get_be32(v);
    return 0;
}

vn_err vn_absence_load(vn_sstore *st, const uint8_t case_id[16], vn_absence_kind kind,
                       vn_absence **out, size_t *n)
{
    struct abs_ctx c = {(uint8_t)kind, NULL, 0, 0};
    vn_err err = vn_kv_each(vn_sstore_kv(st), VN_DB_ABSENCES, case_id, CASE_LEN, absences_cb, &c);
    if (err) {
        free(c.a);
        return err;
    }
    *out = c.a;
    *n = c.n;
    return VN_OK;
}

vn_err vn_sched_last(vn_sstore *st, const uint8_t case_id[16], int32_t *day)
{
    void *v = NULL;
    size_t n;
    vn_err err = vn_kv_get(vn_sstore_kv(st), VN_DB_SCHED, case_id, CASE_LEN, &v, &n);
    if (!err) {
        if (n == 4)
            *day = (int32_t)vn_get_be32(v);
        else
            err = VN_ESTORE;
    }
    free(v);
    return err;
}

vn_err vn_sched_set_last(vn_sstore *st, const uint8_t case_id[16], int32_t day)
{
    uint8_t v[4];
    vn_put_be32(v, (uint32_t)day);
    return vn_kv_put(vn_sstore_kv(st), VN_DB_SCHED, case_id, CASE_LEN, v, sizeof v);
}

vn_err vn_notice_once(vn_sstore *st, const uint8_t case_id[16], uint8_t kind, uint8_t item,
                      int32_t day, bool *already)
{
    uint8_t k[CASE_LEN + 6];
    memcpy(k, case_id, CASE_LEN);
    k[CASE_LEN] = kind;
    k[CASE_LEN + 1] = item;
    vn_put_be32(k + CASE_LEN + 2, (uint32_t)day);
    *already = vn_kv_has(vn_sstore_kv(st), VN_DB_NOTICES, k, sizeof k);
    if (*already) return VN_OK;
    return vn_kv_put(vn_sstore_kv(st), VN_DB_NOTICES, k, sizeof k, "", 0);
}

vn_err vn_contract_purge_case(vn_sstore *st, const uint8_t case_id[16])
{
    vn_kv *kv = vn_sstore_kv(st);
    static const int dbs[] = {VN_DB_CONTRACTS, VN_DB_EVENTS, VN_DB_ABSENCES, VN_DB_NOTICES};
    vn_err err = VN_OK;
    for (size_t i = 0; !err && i < sizeof dbs / sizeof dbs[0]; i++)
        err = vn_kv_del_prefix(kv, dbs[i], case_id, CASE_LEN, NULL);
    if (!err) {
        err = vn_kv_del(kv, VN_DB_SCHED, case_id, CASE_LEN);
        if (err == VN_ENOTFOUND) err = VN_OK;
    }
    return err;
}
