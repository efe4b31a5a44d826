/* Fuzz target: vn_kv_ws_each, which every follower node runs on every
 * entry of the replicated log (server/cluster.c) before it writes one.
 *
 * Beyond "does not crash": a write-set that is accepted is walked record
 * by record, and the records must tile the input exactly (every byte is in
 * one record's header, key or value, in order, within the bounds the
 * format sets). */
#include "vn/kv.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct walk {
    const uint8_t *at; /* where the next record must start */
} walk;

static vn_err check(void *ud, int op, int db, const uint8_t *key, size_t klen, const uint8_t *val,
                    size_t vlen)
{
    walk *w = ud;
    if (key != w->at + 4 || klen == 0 || klen > VN_KV_WS_KEY_MAX || db < 0 || db >= 4) abort();
    if (op == VN_KV_WS_PUT) {
        if (val != key + klen + 4 || vlen > VN_KV_WS_VAL_MAX) abort();
        w->at = val + vlen;
    } else if (op == VN_KV_WS_DEL) {
        if (val || vlen) abort();
        w->at = key + klen;
    } else {
        abort();
    }
    return VN_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    walk w = {data};
    vn_err err = vn_kv_ws_each(data, size, 4, check, &w);
    if (err == VN_OK) {
        if (size && w.at != data + size) abort();
    } else if (err != VN_EPROTO) {
        abort();
    }
    return 0;
}
