/* vn_clock: the one source of "now" for schedule and expiry logic.
 *
 * A real clock reads the system time. A test clock (vangnetd run
 * --test-clock) adds an offset kept in the server store, which
 * `vangnetd clock advance|set` moves forward from another process; the
 * offset is only ever read when the server was started in test mode. */
#ifndef VN_CLOCK_H
#define VN_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"

typedef struct vn_clock vn_clock;

/* st holds the stored offset (borrowed; used only when test is true). On
 * success *out owns the clock; free with vn_clock_close(). */
vn_err vn_clock_open(vn_clock **out, vn_sstore *st, bool test);
void vn_clock_close(vn_clock **self_p);
/* Milliseconds since the epoch, as this clock sees them. Within one run
 * it never goes back: after a backward step of the system clock (beyond
 * two seconds of jitter) it goes on with the monotonic clock until the
 * system clock has caught up, so deadlines kept in wall time (alert
 * escalation) are not put off by the step. */
uint64_t vn_clock_now(vn_clock *self);
/* The time the mail expiry sweep runs at. It follows vn_clock_now, but
 * after a forward step of the system clock it catches up by at most one
 * hour per call beyond the monotonic clock, so a wrong clock cannot expire
 * a month of mail in one sweep; the test offset counts whole (an
 * operator's deliberate move). *behind_ms gets how far it is behind the
 * system clock; *changed tells whether it fell behind or caught up since
 * the last call (for the log). */
uint64_t vn_clock_expiry_now(vn_clock *self, uint64_t *behind_ms, bool *changed);
/* CLOCK_MONOTONIC in milliseconds: for timeouts and windows that must not
 * move with the wall clock. */
uint64_t vn_clock_mono_ms(void);
bool vn_clock_is_test(const vn_clock *self);
/* A test clock: whether `vangnetd clock` moved it since the last call (the
 * first call only notes where it is). Always false for a real clock. */
bool vn_clock_test_moved(vn_clock *self);

/* Moves the stored test offset forward by ms. */
vn_err vn_clock_advance(vn_sstore *st, uint64_t ms);
/* Sets the test time to abs_ms; VN_EINVAL if that is not in the future of
 * the current test time (time only moves forward). */
vn_err vn_clock_set(vn_sstore *st, uint64_t abs_ms);

#endif
