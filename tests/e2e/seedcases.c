#include "seedcases.h"

#include "vangnet.pb-c.h"
#include "vn/cases.h"
#include "vn/contracts.h"
#include "vn/hex.h"
#include "vn/kv.h"
#include "vn/rand.h"
#include "vn/terms.h"

#include <stdlib.h>
#include <string.h>

#define SEED_PER_TXN 1000
#define SEED_PER_CM  100

/* One case: created, a participant, contract version 1 signed. */
static vn_err seed_one(vn_sstore *st, const uint8_t cm[VN_ACCOUNT_LEN], int32_t start_day,
                       uint64_t now)
{
    vn_case_info ci;
    uint8_t participant[VN_ACCOUNT_LEN], sig[64] = {0}, *canon = NULL;
    char hex[VN_ACCOUNT_HEX + 1];
    vn_terms t;
    Vn__Contract *c = NULL;
    vn_err err = vn_cases_create(st, cm, now, &ci);
    if (!err) err = vn_rand_bytes(participant, sizeof participant);
    if (!err) err = vn_cases_add_member(st, ci.id, participant, VN_ROLE_PARTICIPANT, now);
    if (err) return err;
    vn_hex_encode(ci.id, VN_ACCOUNT_LEN, hex);
    vn_terms_default(&t, start_day);
    if ((err = vn_terms_to_pb(&t, hex, "Europe/Amsterdam", &c))) goto out;
    c->version = 1;
    size_t len = vn__contract__get_packed_size(c);
    canon = malloc(len ? len : 1);
    if (!canon) {
        err = VN_ENOMEM;
        goto out;
    }
    vn__contract__pack(c, canon);
    if (!(err = vn_contracts_put(st, ci.id, canon, len, now, 1)) &&
        !(err = vn_contracts_sign(st, ci.id, 1, sig, sizeof sig, now)))
        err = vn_cases_set_state(st, ci.id, VN_CASE_ACTIVE, now);
out:
    free(canon);
    if (c) vn__contract__free_unpacked(c, NULL);
    return err;
}

vn_err seed_cases(vn_sstore *st, size_t n, int32_t start_day, uint64_t now_ms)
{
    vn_kv *kv = vn_sstore_kv(st);
    uint8_t cm[VN_ACCOUNT_LEN];
    vn_err err = VN_OK;
    for (size_t i = 0; !err && i < n; i++) {
        if (i % SEED_PER_TXN == 0 && (err = vn_kv_begin(kv))) break;
        if (i % SEED_PER_CM == 0 && (err = vn_rand_bytes(cm, sizeof cm))) break;
        err = seed_one(st, cm, start_day, now_ms);
        if (!err && (i % SEED_PER_TXN == SEED_PER_TXN - 1 || i == n - 1)) err = vn_kv_commit(kv);
    }
    if (err && vn_kv_in_txn(kv)) vn_kv_abort(kv);
    return err;
}
