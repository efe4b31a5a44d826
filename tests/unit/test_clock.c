/* Unit tests of the clock: a real clock reads the system time and ignores
 * any stored offset; a test clock adds the offset, which advance and set
 * move forward only, and which another clock on the same store sees at
 * once. Kept small and on its own: the store around it is being reshaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vn/clock.h"
#include "vn/sstore.h"
#include "vn/wallclock.h"
#include <stdbool.h>

#define HOUR_MS (3600ULL * 1000ULL)
#define DAY_MS  (24ULL * HOUR_MS)
/* Slack for the real time that passes between two readings in a test
 * (generous, for slow sanitizer builds on a shared CI machine). */
#define SLACK_MS 5000ULL

/* The store is sealed; any key does for a store of one test. */
static const uint8_t key[32] = {1, 2, 3};

typedef struct fixture {
    char dir[32];  /* temporary state directory */
    vn_sstore *st; /* store holding the offset */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    memcpy(f->dir, "/tmp/vn-clock-XXXXXX", sizeof "/tmp/vn-clock-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(vn_sstore_open(&f->st, f->dir, 0, key), VN_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char path[64];
    vn_sstore_close(&f->st);
    snprintf(path, sizeof path, "%s/data.mdb", f->dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* now is within [lo, lo + SLACK_MS]. */
static void assert_near(uint64_t now, uint64_t lo)
{
    if (now < lo || now > lo + SLACK_MS)
        fail_msg("clock reads %llu, expected %llu .. +%llu", (unsigned long long)now,
                 (unsigned long long)lo, (unsigned long long)SLACK_MS);
}

static void test_real_clock(void **state)
{
    fixture *f = *state;
    vn_clock *c = NULL;
    assert_int_equal(vn_clock_open(&c, f->st, false), VN_OK);
    assert_false(vn_clock_is_test(c));
    uint64_t before = vn_wallclock_ms();
    assert_near(vn_clock_now(c), before);
    /* A stored offset does not move a real clock. */
    assert_int_equal(vn_clock_advance(f->st, 30 * DAY_MS), VN_OK);
    before = vn_wallclock_ms();
    assert_near(vn_clock_now(c), before);
    vn_clock_close(&c);
    assert_null(c);
    vn_clock_close(&c); /* twice */
    vn_clock_close(NULL);

    /* A test clock without a store is a real clock. */
    assert_int_equal(vn_clock_open(&c, NULL, true), VN_OK);
    assert_false(vn_clock_is_test(c));
    assert_near(vn_clock_now(c), vn_wallclock_ms());
    vn_clock_close(&c);
}

static void test_advance(void **state)
{
    fixture *f = *state;
    vn_clock *c = NULL, *other = NULL;
    assert_int_equal(vn_clock_open(&c, f->st, true), VN_OK);
    assert_true(vn_clock_is_test(c));
    assert_near(vn_clock_now(c), vn_wallclock_ms()); /* no offset yet */

    assert_int_equal(vn_clock_advance(f->st, DAY_MS), VN_OK);
    assert_near(vn_clock_now(c), vn_wallclock_ms() + DAY_MS);
    assert_int_equal(vn_clock_advance(f->st, 0), VN_OK);
    assert_int_equal(vn_clock_advance(f->st, 2 * HOUR_MS), VN_OK);
    assert_near(vn_clock_now(c), vn_wallclock_ms() + DAY_MS + 2 * HOUR_MS);

    /* Another clock on the same store (another process, in vangnetd) sees it. */
    assert_int_equal(vn_clock_open(&other, f->st, true), VN_OK);
    assert_near(vn_clock_now(other), vn_wallclock_ms() + DAY_MS + 2 * HOUR_MS);
    vn_clock_close(&other);
    vn_clock_close(&c);
}

static void test_set_forward_only(void **state)
{
    fixture *f = *state;
    vn_clock *c = NULL;
    assert_int_equal(vn_clock_open(&c, f->st, true), VN_OK);
    uint64_t now = vn_clock_now(c);

    /* Backwards, or to now itself: refused, and nothing changes. */
    assert_int_equal(vn_clock_set(f->st, now - HOUR_MS), VN_EINVAL);
    assert_int_equal(vn_clock_set(f->st, 0), VN_EINVAL);
    assert_near(vn_clock_now(c), vn_wallclock_ms());

    /* Forward to an absolute time. */
    uint64_t target = now + 10 * DAY_MS;
    assert_int_equal(vn_clock_set(f->st, target), VN_OK);
    assert_near(vn_clock_now(c), target);
    /* Now the test time is ahead of the real one: going back to a time that
     * is still in the real future is refused too. */
    assert_int_equal(vn_clock_set(f->st, target - DAY_MS), VN_EINVAL);
    assert_near(vn_clock_now(c), target);
    /* advance and set compose. */
    assert_int_equal(vn_clock_advance(f->st, DAY_MS), VN_OK);
    assert_near(vn_clock_now(c), target + DAY_MS);
    assert_int_equal(vn_clock_set(f->st, target + 3 * DAY_MS), VN_OK);
    assert_near(vn_clock_now(c), target + 3 * DAY_MS);
    vn_clock_close(&c);
}

/* Expiry's clock follows the system clock while it does not jump, and
 * counts a test offset whole (an operator's deliberate move); a step of
 * the system clock itself cannot be made in a test. Both clocks never go
 * back. */
static void test_expiry_clock(void **state)
{
    fixture *f = *state;
    vn_clock *c = NULL;
    uint64_t behind = 1, prev = 0;
    bool changed = true;
    assert_int_equal(vn_clock_open(&c, f->st, true), VN_OK);
    assert_near(vn_clock_expiry_now(c, &behind, &changed), vn_wallclock_ms());
    assert_int_equal(behind, 0);
    assert_false(changed);
    assert_int_equal(vn_clock_advance(f->st, 31 * DAY_MS), VN_OK);
    assert_near(vn_clock_expiry_now(c, &behind, &changed), vn_wallclock_ms() + 31 * DAY_MS);
    assert_int_equal(behind, 0);
    assert_false(changed);
    for (int i = 0; i < 1000; i++) {
        uint64_t now = vn_clock_now(c), exp = vn_clock_expiry_now(c, &behind, &changed);
        if (now < prev)
            fail_msg("the clock went back: %llu after %llu", (unsigned long long)now,
                     (unsigned long long)prev);
        assert_true(exp <= now + SLACK_MS);
        prev = now;
    }
    uint64_t m = vn_clock_mono_ms();
    assert_true(vn_clock_mono_ms() >= m);
    vn_clock_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_real_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_advance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_forward_only, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
