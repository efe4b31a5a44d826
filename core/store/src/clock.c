#include "vn/clock.h"

#include "vn/util.h"

#include <stdlib.h>

#define OFFSET_KEY "clock_offset_ms"

struct vn_clock {
    vn_kv *kv;   /* store holding the test offset (borrowed) */
    int meta_db; /* database of the offset key */
    bool test;   /* whether the offset applies */
};

vn_err vn_clock_open(vn_clock **out, vn_kv *kv, int meta_db, bool test)
{
    vn_clock *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    c->kv = kv;
    c->meta_db = meta_db;
    c->test = test && kv;
    *out = c;
    return VN_OK;
}

void vn_clock_close(vn_clock **self_p)
{
    if (!self_p || !*self_p) return;
    free(*self_p);
    *self_p = NULL;
}

static uint64_t read_offset(vn_kv *kv, int db)
{
    void *v = NULL;
    size_t n = 0;
    uint64_t off = 0;
    if (vn_kv_get(kv, db, OFFSET_KEY, sizeof OFFSET_KEY - 1, &v, &n) == VN_OK && n == 8)
        off = vn_get_be64(v);
    free(v);
    return off;
}

uint64_t vn_clock_now(vn_clock *self)
{
    uint64_t now = vn_now_ms();
    /* Re-read every time: `vangnetd clock advance` runs in another process. */
    if (self->test) now += read_offset(self->kv, self->meta_db);
    return now;
}

bool vn_clock_is_test(const vn_clock *self)
{
    return self->test;
}

static vn_err write_offset(vn_kv *kv, int db, uint64_t off)
{
    uint8_t b[8];
    vn_put_be64(b, off);
    return vn_kv_put(kv, db, OFFSET_KEY, sizeof OFFSET_KEY - 1, b, sizeof b);
}

vn_err vn_clock_advance(vn_kv *kv, int meta_db, uint64_t ms)
{
    vn_err err = vn_kv_begin(kv);
    if (err) return err;
    err = write_offset(kv, meta_db, read_offset(kv, meta_db) + ms);
    if (err) {
        vn_kv_abort(kv);
        return err;
    }
    return vn_kv_commit(kv);
}

vn_err vn_clock_set(vn_kv *kv, int meta_db, uint64_t abs_ms)
{
    vn_err err = vn_kv_begin(kv);
    if (err) return err;
    uint64_t real = vn_now_ms(), off = read_offset(kv, meta_db);
    if (abs_ms <= real + off) {
        vn_kv_abort(kv);
        return VN_EINVAL;
    }
    err = write_offset(kv, meta_db, abs_ms - real);
    if (err) {
        vn_kv_abort(kv);
        return err;
    }
    return vn_kv_commit(kv);
}
