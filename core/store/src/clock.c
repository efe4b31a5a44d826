#include "vn/clock.h"

#include "vn/kv.h"
#include "vn/meta.h"
#include "vn/wallclock.h"
#include <stdbool.h>
#include <stdint.h>

#include <stdlib.h>
#include <time.h>

/* A backward step of the system clock smaller than this is taken as
 * jitter (NTP slewing, a leap smear): time merely stands still meanwhile. */
#define BACK_SLACK_MS 2000ULL
/* How far expiry's clock may move beyond the monotonic clock per sweep,
 * to catch up with a system clock that stepped forward (or with the time
 * between the server's start and its first sweep, which has no monotonic
 * base). */
#define EXPIRY_CATCHUP_MS (3600ULL * 1000)

struct vn_clock {
    vn_sstore *st;        /* store holding the test offset (borrowed) */
    bool test;            /* whether the offset applies */
    bool have_base;       /* last and last_mono are set */
    uint64_t last;        /* the system time last answered (never decreases) */
    uint64_t last_mono;   /* the monotonic time then */
    bool have_expiry;     /* expiry and expiry_mono are set */
    uint64_t expiry;      /* the system time expiry last ran at */
    uint64_t expiry_mono; /* the monotonic time then */
    bool expiry_held;     /* expiry was behind the system clock at the last sweep */
    bool have_offset;     /* seen_offset is set */
    uint64_t seen_offset; /* the test offset at the last vn_clock_test_moved */
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

uint64_t vn_clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The system time, guarded: it never goes back, and after a backward step
 * it goes on with the monotonic clock until the system clock catches up,
 * so a deadline (an alert's escalation) is not put off by the step. */
static uint64_t steady_system(vn_clock *self, uint64_t mono)
{
    uint64_t wall = vn_wallclock_ms(), now = wall;
    if (self->have_base) {
        uint64_t steady = self->last + (mono - self->last_mono);
        if (wall + BACK_SLACK_MS < steady)
            now = steady;
        else if (wall < self->last)
            now = self->last;
    }
    self->have_base = true;
    self->last = now;
    self->last_mono = mono;
    return now;
}

uint64_t vn_clock_now(vn_clock *self)
{
    uint64_t now = steady_system(self, vn_clock_mono_ms());
    /* Re-read every time: `vangnetd clock advance` runs in another process. */
    if (self->test) now += read_offset(self->st);
    return now;
}

uint64_t vn_clock_expiry_now(vn_clock *self, uint64_t *behind_ms, bool *changed)
{
    uint64_t mono = vn_clock_mono_ms(), sys = steady_system(self, mono), at = sys;
    if (self->have_expiry) {
        uint64_t allowed = self->expiry + (mono - self->expiry_mono) + EXPIRY_CATCHUP_MS;
        if (at > allowed) at = allowed;
        if (at < self->expiry) at = self->expiry;
    }
    self->have_expiry = true;
    self->expiry = at;
    self->expiry_mono = mono;
    *behind_ms = sys - at;
    *changed = (*behind_ms > 0) != self->expiry_held;
    self->expiry_held = *behind_ms > 0;
    /* The test offset is moved by an operator on purpose: it counts whole. */
    return self->test ? at + read_offset(self->st) : at;
}

bool vn_clock_is_test(const vn_clock *self)
{
    return self->test;
}

bool vn_clock_test_moved(vn_clock *self)
{
    if (!self->test) return false;
    uint64_t off = read_offset(self->st);
    bool moved = self->have_offset && off != self->seen_offset;
    self->have_offset = true;
    self->seen_offset = off;
    return moved;
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
