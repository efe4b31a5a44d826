/* The store core: opening the environment, and the one path by which the
 * store's modules read and write vn_kv (see sstore_internal.h). */
#include "vn/sstore.h"

#include "sstore_internal.h"

#include <stdlib.h>

/* Order matches the VN_DB_* enum in sstore_internal.h. */
static const char *const db_names[] = {
    "meta",  "invites", "accounts", "devices", "keys",        "prekeys",   "mailbox",  "msgindex",
    "cases", "members", "memberof", "cmcases", "audit",       "contracts", "events",   "absences",
    "sched", "notices", "alerts",   "attest",  "disclosures", "quiet",     "deferred",
};
/* A name missing here would open LMDB's main database in its place. */
_Static_assert(sizeof db_names / sizeof db_names[0] == VN_DB_COUNT, "one name per VN_DB_*");

vn_err vn_sstore_open(vn_sstore **out, const char *dir, size_t mapsize)
{
    vn_sstore *s = calloc(1, sizeof *s);
    if (!s) return VN_ENOMEM;
    vn_err err = vn_kv_open(&s->kv, dir, db_names, VN_DB_COUNT, mapsize);
    if (err) {
        free(s);
        return err;
    }
    *out = s;
    return VN_OK;
}

void vn_sstore_close(vn_sstore **self_p)
{
    if (!self_p || !*self_p) return;
    vn_kv_close(&(*self_p)->kv);
    free(*self_p);
    *self_p = NULL;
}

vn_kv *vn_sstore_kv(vn_sstore *self)
{
    return self->kv;
}

vn_err st_get(vn_sstore *st, int db, const void *key, size_t klen, void **val, size_t *vlen)
{
    return vn_kv_get(st->kv, db, key, klen, val, vlen);
}

bool st_has(vn_sstore *st, int db, const void *key, size_t klen)
{
    return vn_kv_has(st->kv, db, key, klen);
}

vn_err st_each(vn_sstore *st, int db, const void *prefix, size_t plen, vn_kv_each_fn fn, void *ud)
{
    return vn_kv_each(st->kv, db, prefix, plen, fn, ud);
}

/* The write path: every put and delete of every table passes here. */
vn_err st_put(vn_sstore *st, int db, const void *key, size_t klen, const void *val, size_t vlen)
{
    return vn_kv_put(st->kv, db, key, klen, val, vlen);
}

vn_err st_del(vn_sstore *st, int db, const void *key, size_t klen)
{
    return vn_kv_del(st->kv, db, key, klen);
}

vn_err st_drop(vn_sstore *st, int db, const void *key, size_t klen)
{
    vn_err err = st_del(st, db, key, klen);
    return err == VN_ENOTFOUND ? VN_OK : err;
}

vn_err st_del_prefix(vn_sstore *st, int db, const void *prefix, size_t plen)
{
    return vn_kv_del_prefix(st->kv, db, prefix, plen, NULL);
}

vn_err st_begin(vn_sstore *st)
{
    return vn_kv_begin(st->kv);
}

vn_err st_commit(vn_sstore *st)
{
    return vn_kv_commit(st->kv);
}

void st_abort(vn_sstore *st)
{
    vn_kv_abort(st->kv);
}

bool st_in_txn(vn_sstore *st)
{
    return vn_kv_in_txn(st->kv);
}

vn_err st_sub_begin(vn_sstore *st)
{
    return vn_kv_sub_begin(st->kv);
}

vn_err st_sub_end(vn_sstore *st, bool keep)
{
    return vn_kv_sub_end(st->kv, keep);
}
