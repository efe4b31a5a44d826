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

/* One record per (case, kind, item) holds the day of the last notice sent:
 * a notice about a later day replaces it, so no list of past notices (a
 * history of overdue tests) builds up. */
vn_err vn_sched_notice_once(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], uint8_t kind,
                            uint8_t item, int32_t day, bool *already)
{
    uint8_t k[VN_ACCOUNT_LEN + 2], v[4];
    void *old = NULL;
    size_t n = 0;
    memcpy(k, case_id, VN_ACCOUNT_LEN);
    k[VN_ACCOUNT_LEN] = kind;
    k[VN_ACCOUNT_LEN + 1] = item;
    vn_be_put32(v, (uint32_t)day);
    vn_err err = st_get(st, VN_DB_NOTICES, k, sizeof k, &old, &n);
    if (err && err != VN_ENOTFOUND) return err;
    *already = !err && n == sizeof v && memcmp(old, v, sizeof v) == 0;
    free(old);
    if (*already) return VN_OK;
    return st_put(st, VN_DB_NOTICES, k, sizeof k, v, sizeof v);
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
