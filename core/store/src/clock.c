#include "vn/clock.h"

#include "vn/kv.h"
#include "vn/meta.h"
#include "vn/wallclock.h"
#include <stdbool.h>
#include <stdint.h>

#include <stdlib.h>

struct vn_clock {
    vn_sstore *st; /* store holding the test offset (borrowed) */
    bool test;     /* whether the offset applies */
};

vn_err vn_clock_open(vn_clock **out, vn_sstore *st, bool test)
{
    vn_clock *c = calloc(1, sizeof *c);
    if (!c) return VN_ENOMEM;
    c->st = st;
    c->test = test && st;
    *out = c;
    return VN_OK;
}

void vn_clock_close(vn_clock **self_p)
{
    if (!self_p || !*self_p) return;
    free(*self_p);
    *self_p = NULL;
}

/* An unreadable offset counts as none: the clock must always answer. */
static uint64_t read_offset(vn_sstore *st)
{
    uint64_t off = 0;
    if (vn_meta_clock_offset(st, &off) != VN_OK) off = 0;
    return off;
}

uint64_t vn_clock_now(vn_clock *self)
{
    uint64_t now = vn_wallclock_ms();
    /* Re-read every time: `vangnetd clock advance` runs in another process. */
    if (self->test) now += read_offset(self->st);
    return now;
}

bool vn_clock_is_test(const vn_clock *self)
{
    return self->test;
}

vn_err vn_clock_advance(vn_sstore *st, uint64_t ms)
{
    vn_kv *kv = vn_sstore_kv(st);
    vn_err err = vn_kv_begin(kv);
    if (err) return err;
    err = vn_meta_set_clock_offset(st, read_offset(st) + ms);
    if (err) {
        if (vn_kv_in_txn(kv)) vn_kv_abort(kv);
        return err;
    }
    return vn_kv_commit(kv);
}

vn_err vn_clock_set(vn_sstore *st, uint64_t abs_ms)
{
    vn_kv *kv = vn_sstore_kv(st);
    vn_err err = vn_kv_begin(kv);
    if (err) return err;
    uint64_t real = vn_wallclock_ms(), off = read_offset(st);
    if (abs_ms <= real + off) {
        vn_kv_abort(kv);
        return VN_EINVAL;
    }
    err = vn_meta_set_clock_offset(st, abs_ms - real);
    if (err) {
        if (vn_kv_in_txn(kv)) vn_kv_abort(kv);
        return err;
    }
    return vn_kv_commit(kv);
}
