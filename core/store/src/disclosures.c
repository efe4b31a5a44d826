/* The attest and disclosures tables. */
#include "vn/disclosures.h"

#include "sstore_internal.h"
#include "vn/be.h"
#include "vn/account.h"
#include "vn/day.h"

#include <stdlib.h>
#include <string.h>

#define ATTEST_KEY_LEN (VN_ACCOUNT_LEN + 1) /* case, role */
#define DISC_KEY_LEN   (VN_ACCOUNT_LEN + 8) /* case, day (vn_day_floor_ms) -> how many that day */

vn_err vn_disclosures_attest(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN], int role,
                             uint64_t now, bool *recorded)
{
    uint8_t k[ATTEST_KEY_LEN], t[8], other[ATTEST_KEY_LEN];
    memcpy(k, case_id, VN_ACCOUNT_LEN);
    k[VN_ACCOUNT_LEN] = (uint8_t)role;
    memcpy(other, case_id, VN_ACCOUNT_LEN);
    other[VN_ACCOUNT_LEN] = (uint8_t)(role == 1 ? 2 : 1);
    vn_be_put64(t, now);
    *recorded = false;
    vn_err err = st_put(st, VN_DB_ATTEST, k, sizeof k, t, sizeof t);
    if (err) return err;
    /* The other's attestation counts only if recent: two attestations
     * months apart concern different situations. */
    void *ov = NULL;
    size_t on = 0;
    err = st_get(st, VN_DB_ATTEST, other, sizeof other, &ov, &on);
    bool fresh = !err && on == 8 && now - vn_be_get64(ov) <= VN_ATTEST_WINDOW_MS;
    free(ov);
    if (err == VN_ENOTFOUND) return VN_OK;
    if (err) return err;
    if (!fresh) return st_del(st, VN_DB_ATTEST, other, sizeof other);
    /* Both have attested both gates: record it, and start over for the next. */
    /* Kept to the day, with a count: the participant is told the day. */
    uint8_t dk[DISC_KEY_LEN], cnt[4];
    void *old = NULL;
    size_t n = 0;
    memcpy(dk, case_id, VN_ACCOUNT_LEN);
    vn_be_put64(dk + VN_ACCOUNT_LEN, vn_day_floor_ms(now));
    err = st_get(st, VN_DB_DISCLOSURES, dk, sizeof dk, &old, &n);
    vn_be_put32(cnt, (!err && n == 4 ? vn_be_get32(old) : 0) + 1);
    free(old);
    if (err && err != VN_ENOTFOUND) return err;
    if ((err = st_put(st, VN_DB_DISCLOSURES, dk, sizeof dk, cnt, sizeof cnt)) ||
        (err = st_del(st, VN_DB_ATTEST, k, sizeof k)) ||
        (err = st_del(st, VN_DB_ATTEST, other, sizeof other)))
        return err;
    *recorded = true;
    return VN_OK;
}

struct disc_ctx {
    vn_disclosures_fn fn; /* caller's callback */
    void *ud;
};

static vn_err disc_cb(void *ud, const void *k, size_t kl, const void *v, size_t vl, bool *stop)
{
    struct disc_ctx *c = ud;
    if (kl != DISC_KEY_LEN || vl != 4) return VN_ESTORE;
    vn_err err = VN_OK;
    for (uint32_t i = vn_be_get32(v); !err && i > 0; i--)
        err = c->fn(c->ud, vn_be_get64((const uint8_t *)k + VN_ACCOUNT_LEN));
    return err;
}

vn_err vn_disclosures_each(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN],
                           vn_disclosures_fn fn, void *ud)
{
    struct disc_ctx c = {fn, ud};
    return st_each(st, VN_DB_DISCLOSURES, case_id, VN_ACCOUNT_LEN, disc_cb, &c);
}

vn_err vn_disclosures_purge_case(vn_sstore *st, const uint8_t case_id[VN_ACCOUNT_LEN])
{
    vn_err err = st_begin(st);
    if (err) return err;
    if ((err = st_del_prefix(st, VN_DB_ATTEST, case_id, VN_ACCOUNT_LEN)) ||
        (err = st_del_prefix(st, VN_DB_DISCLOSURES, case_id, VN_ACCOUNT_LEN)))
        return err;
    return st_commit(st);
}
