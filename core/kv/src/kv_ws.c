/* Write-set capture and apply (vn_kv_capture, vn_kv_ws_each,
 * vn_kv_ws_apply): what a transaction wrote, as stored, for the
 * replicated log (server/cluster.c). */
#include "kv_internal.h"

#include "vn/array.h"

#include <string.h>

vn_err kv_ws_record(vn_kv *self, int db, const MDB_val *k, const MDB_val *v)
{
    if (!self->capture || self->in_hook) return VN_OK;
    if (k->mv_size == 0 || k->mv_size > VN_KV_WS_KEY_MAX) return VN_EINVAL;
    if (v && v->mv_size > VN_KV_WS_VAL_MAX) return VN_ETOOBIG;
    size_t need = 4 + k->mv_size + (v ? 4 + v->mv_size : 0);
    if (need > VN_KV_WS_MAX - self->ws_len) return VN_ETOOBIG;
    vn_err err = vn_array_reserve(&self->ws, &self->ws_cap, self->ws_len + need, 1, VN_KV_WS_MAX);
    if (err) return err;
    uint8_t *p = self->ws + self->ws_len;
    *p++ = v ? VN_KV_WS_PUT : VN_KV_WS_DEL;
    *p++ = (uint8_t)db;
    *p++ = (uint8_t)(k->mv_size & 0xff);
    *p++ = (uint8_t)(k->mv_size >> 8);
    memcpy(p, k->mv_data, k->mv_size);
    p += k->mv_size;
    if (v) {
        for (int i = 0; i < 4; i++)
            *p++ = (uint8_t)(v->mv_size >> (8 * i));
        if (v->mv_size) memcpy(p, v->mv_data, v->mv_size);
    }
    self->ws_len += need;
    return VN_OK;
}

void vn_kv_capture(vn_kv *self, vn_kv_commit_fn fn, void *ud)
{
    self->capture = fn;
    self->capture_ud = ud;
    self->ws_len = self->ws_mark = 0;
}

static int le_read(const uint8_t *p, int n, size_t *out)
{
    size_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (size_t)p[i] << (8 * i);
    *out = v;
    return 0;
}

/* Walks the records; fn NULL only checks them. */
static vn_err ws_walk(const uint8_t *ws, size_t len, int ndb, vn_kv_ws_fn fn, void *ud)
{
    size_t off = 0;
    if (len > VN_KV_WS_MAX || (len && !ws)) return VN_EPROTO;
    while (off < len) {
        size_t klen, vlen = 0;
        if (len - off < 4) return VN_EPROTO;
        int op = ws[off], db = ws[off + 1];
        le_read(ws + off + 2, 2, &klen);
        off += 4;
        if ((op != VN_KV_WS_PUT && op != VN_KV_WS_DEL) || db >= ndb || klen == 0 ||
            klen > VN_KV_WS_KEY_MAX || len - off < klen)
            return VN_EPROTO;
        const uint8_t *key = ws + off, *val = NULL;
        off += klen;
        if (op == VN_KV_WS_PUT) {
            if (len - off < 4) return VN_EPROTO;
            le_read(ws + off, 4, &vlen);
            off += 4;
            if (vlen > VN_KV_WS_VAL_MAX || len - off < vlen) return VN_EPROTO;
            val = ws + off;
            off += vlen;
        }
        if (fn) {
            vn_err err = fn(ud, op, db, key, klen, val, vlen);
            if (err) return err;
        }
    }
    return VN_OK;
}

vn_err vn_kv_ws_each(const uint8_t *ws, size_t len, int ndb, vn_kv_ws_fn fn, void *ud)
{
    if (ndb < 0 || ndb > KV_MAX_DBS) return VN_EINVAL;
    vn_err err = ws_walk(ws, len, ndb, NULL, NULL);
    return err || !fn ? err : ws_walk(ws, len, ndb, fn, ud);
}

static vn_err apply_one(void *ud, int op, int db, const uint8_t *key, size_t klen,
                        const uint8_t *val, size_t vlen)
{
    vn_kv *self = ud;
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    kv_cache_touch(self, db);
    self->writes++;
    int rc = op == VN_KV_WS_PUT ? mdb_put(self->txn, self->dbi[db], &k, &v, 0)
                                : mdb_del(self->txn, self->dbi[db], &k, NULL);
    if (rc == MDB_NOTFOUND && op == VN_KV_WS_DEL) rc = MDB_SUCCESS;
    if (rc == MDB_SUCCESS && op == VN_KV_WS_PUT) self->put_bytes += klen + vlen;
    return vn_kv_err_from_mdb(rc);
}

vn_err vn_kv_ws_apply(vn_kv *self, const uint8_t *ws, size_t len)
{
    if (!self->txn || self->depth <= 0) return VN_EINVAL;
    if (self->failed) return self->failed;
    vn_err err = kv_settle(self); /* the set applies over what is stored */
    if (err || (err = ws_walk(ws, len, self->ndb, NULL, NULL))) return err;
    if ((err = ws_walk(ws, len, self->ndb, apply_one, self))) kv_txn_fail(self, err);
    return err;
}
