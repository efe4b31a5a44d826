/* The absences table. */
#include "vn/absences.h"

#include "sstore_internal.h"
#include "vn/array.h"
#include "vn/be.h"
#include "vn/account.h"

#include <stdlib.h>
#include <string.h>

vn_err vn_absences_add(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int32_t from,
                       int32_t to)
{
    uint8_t k[VN_ACCOUNT_LEN + 4], v[4];
    memcpy(k, case_id, VN_ACCOUNT_LEN);
    vn_be_put32(k + VN_ACCOUNT_LEN, (uint32_t)from);
    vn_be_put32(v, (uint32_t)to);
    return st_put(st, VN_DB_ABSENCES, k, sizeof k, v, sizeof v);
}

struct abs_ctx {
    vn_absence *a; /* growing array */
    size_t n, cap;
};

static vn_err absences_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct abs_ctx *c = ud;
    const uint8_t *p = k;
    if (kl != VN_ACCOUNT_LEN + 4 || vl != 4) return VN_ESTORE;
    vn_err err = vn_array_reserve(&c->a, &c->cap, c->n + 1, sizeof *c->a, VN_ABSENCES_MAX);
    if (err) return err;
    c->a[c->n].from_day = (int32_t)vn_be_get32(p + VN_ACCOUNT_LEN);
    c->a[c->n++].to_day = (int32_t)vn_be_get32(v);
    return VN_OK;
}

vn_err vn_absences_load(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], vn_absence **out,
                        size_t *n)
{
    struct abs_ctx c = {NULL, 0, 0};
    vn_err err = st_each(st, VN_DB_ABSENCES, case_id, VN_ACCOUNT_LEN, absences_cb, &c);
    if (err) {
        free(c.a);
        return err;
    }
    *out = c.a;
    *n = c.n;
    return VN_OK;
}

vn_err vn_absences_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    return st_del_prefix(st, VN_DB_ABSENCES, case_id, VN_ACCOUNT_LEN);
}
