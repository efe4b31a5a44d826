/* Unit tests of the token buckets of server/ratelimit.c (compiled into this
 * test directly; nothing links the server binary): the burst, refill at the
 * configured rate and never above the burst, check that takes nothing,
 * the retry time a refusal gives, key sizes, many independent keys, a clock
 * that steps back, and the sweep that forgets only full buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ratelimit.h"

#define T0 1000000ULL /* an arbitrary monotonic start */

static void test_open_rejects(void **state)
{
    vn_ratelimit *r = (vn_ratelimit *)&r;
    assert_int_equal(vn_ratelimit_open(&r, 0.5, 1), VN_EINVAL);
    assert_int_equal(vn_ratelimit_open(&r, 0, 1), VN_EINVAL);
    assert_int_equal(vn_ratelimit_open(&r, -1, 1), VN_EINVAL);
    assert_int_equal(vn_ratelimit_open(&r, 10, 0), VN_EINVAL);
    assert_int_equal(vn_ratelimit_open(&r, 10, -1), VN_EINVAL);
    assert_ptr_equal(r, (vn_ratelimit *)&r); /* untouched */
    assert_int_equal(vn_ratelimit_open(&r, 1, 0.001), VN_OK);
    vn_ratelimit_close(&r);
    assert_null(r);
    vn_ratelimit_close(&r); /* twice */
    vn_ratelimit_close(NULL);
}

static void test_burst_then_refill(void **state)
{
    vn_ratelimit *r = NULL;
    uint64_t retry = 0;
    assert_int_equal(vn_ratelimit_open(&r, 5, 2), VN_OK); /* 5 at once, then one per 500 ms */
    for (int i = 0; i < 5; i++)
        assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, T0, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, T0, &retry), VN_ERATE);
    /* One token is 500 ms away; the retry time never promises too early. */
    assert_in_range(retry, 500, 501);
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, T0 + 499, &retry), VN_ERATE);
    assert_in_range(retry, 1, 2);
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, T0 + 500, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, T0 + 500, &retry), VN_ERATE);
    /* A long pause refills to the burst, not beyond. */
    uint64_t later = T0 + 3600 * 1000;
    for (int i = 0; i < 5; i++)
        assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, later, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, later, &retry), VN_ERATE);
    /* Steady state: exactly the rate gets through, over 10 s 20 tokens. */
    int ok = 0;
    for (uint64_t t = later; t <= later + 10000; t += 50)
        ok += vn_ratelimit_take(r, "k", 1, 1, t, &retry) == VN_OK;
    assert_int_equal(ok, 20);
    vn_ratelimit_close(&r);
}

static void test_check_takes_nothing(void **state)
{
    vn_ratelimit *r = NULL;
    uint64_t retry = 0;
    assert_int_equal(vn_ratelimit_open(&r, 3, 1), VN_OK);
    for (int i = 0; i < 100; i++)
        assert_int_equal(vn_ratelimit_check(r, "k", 1, 3, T0, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 2, T0, &retry), VN_OK);
    /* One token left: a check for two is refused and says when, a check for one passes. */
    assert_int_equal(vn_ratelimit_check(r, "k", 1, 2, T0, &retry), VN_ERATE);
    assert_in_range(retry, 1000, 1001);
    assert_int_equal(vn_ratelimit_check(r, "k", 1, 1, T0, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_check(r, "k", 1, 1, T0, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, T0, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_check(r, "k", 1, 1, T0, &retry), VN_ERATE);
    /* A refused take takes nothing either: fractions refill and count. */
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, T0 + 600, &retry), VN_ERATE);
    assert_in_range(retry, 400, 401);
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, T0 + 1000, &retry), VN_OK);
    vn_ratelimit_close(&r);
}

/* Waiting exactly the retry time a refusal gives always succeeds. */
static void test_retry_is_enough(void **state)
{
    static const double shapes[][2] = {{60, 1}, {600, 10}, {7, 3}, {1, 0.25}, {8 << 20, 64 << 10}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        vn_ratelimit *r = NULL;
        double burst = shapes[s][0], per_sec = shapes[s][1];
        double cost = burst >= 65536 ? 65536 : 1; /* bytes, or messages */
        uint64_t now = T0, retry = 0;
        assert_int_equal(vn_ratelimit_open(&r, burst, per_sec), VN_OK);
        int refusals = 0;
        for (int i = 0; i < 20000 && refusals < 50; i++) {
            if (vn_ratelimit_take(r, "key", 3, cost, now, &retry) == VN_OK) {
                now += (uint64_t)i % 3; /* senders that do not wait */
                continue;
            }
            refusals++;
            assert_true(retry >= 1);
            if (vn_ratelimit_take(r, "key", 3, cost, now + retry, &retry) != VN_OK)
                fail_msg("burst %g, %g/s: a retry at the promised time was refused", burst,
                         per_sec);
            now += retry;
        }
        assert_true(refusals > 0);
        vn_ratelimit_close(&r);
    }
}

static void test_keys(void **state)
{
    vn_ratelimit *r = NULL;
    uint64_t retry = 0;
    uint8_t key[VN_RATELIMIT_KEY_MAX + 1];
    memset(key, 0x11, sizeof key);
    assert_int_equal(vn_ratelimit_open(&r, 2, 1), VN_OK);
    /* Keys up to VN_RATELIMIT_KEY_MAX bytes (a tag and a pair); longer is a caller bug. */
    assert_int_equal(vn_ratelimit_take(r, key, VN_RATELIMIT_KEY_MAX, 1, T0, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, key, VN_RATELIMIT_KEY_MAX + 1, 1, T0, &retry), VN_EINVAL);
    assert_int_equal(vn_ratelimit_check(r, key, VN_RATELIMIT_KEY_MAX + 1, 1, T0, &retry),
                     VN_EINVAL);
    /* A key and its prefix are different buckets. */
    assert_int_equal(vn_ratelimit_take(r, key, VN_RATELIMIT_KEY_MAX, 1, T0, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, key, VN_RATELIMIT_KEY_MAX, 1, T0, &retry), VN_ERATE);
    assert_int_equal(vn_ratelimit_take(r, key, 32, 1, T0, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, key, 16, 1, T0, &retry), VN_OK);
    /* The empty key is a key like any other. */
    assert_int_equal(vn_ratelimit_take(r, "", 0, 2, T0, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, "", 0, 1, T0, &retry), VN_ERATE);
    vn_ratelimit_close(&r);
}

/* Many keys (more than the hash table has slots) keep separate buckets. */
static void test_many_keys(void **state)
{
    enum { N = 10000 };
    vn_ratelimit *r = NULL;
    uint64_t retry = 0;
    assert_int_equal(vn_ratelimit_open(&r, 3, 1), VN_OK);
    for (int round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < N; i++) {
            uint8_t key[16] = {0};
            memcpy(key, &i, sizeof i);
            if (vn_ratelimit_take(r, key, sizeof key, 1, T0, &retry) != VN_OK)
                fail_msg("key %u refused in round %d", i, round);
        }
    }
    /* Every bucket is now empty, and each knows it. */
    for (uint32_t i = 0; i < N; i += 97) {
        uint8_t key[16] = {0};
        memcpy(key, &i, sizeof i);
        assert_int_equal(vn_ratelimit_take(r, key, sizeof key, 1, T0, &retry), VN_ERATE);
    }
    /* A key none of the above used still has its whole burst. */
    uint8_t fresh[16] = {0};
    fresh[15] = 0xfe;
    assert_int_equal(vn_ratelimit_take(r, fresh, sizeof fresh, 3, T0, &retry), VN_OK);
    vn_ratelimit_close(&r);
}

static void test_clock_step_back(void **state)
{
    vn_ratelimit *r = NULL;
    uint64_t retry = 0;
    assert_int_equal(vn_ratelimit_open(&r, 2, 1), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 2, T0, &retry), VN_OK);
    /* An earlier time refills nothing (and does not wrap into a huge refill). */
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, T0 - 500000, &retry), VN_ERATE);
    assert_int_equal(vn_ratelimit_take(r, "k", 1, 1, 0, &retry), VN_ERATE);
    vn_ratelimit_close(&r);
}

static void test_sweep(void **state)
{
    vn_ratelimit *r = NULL;
    uint64_t retry = 0;
    assert_int_equal(vn_ratelimit_open(&r, 2, 1), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, "full", 4, 1, T0, &retry), VN_OK);
    assert_int_equal(vn_ratelimit_take(r, "empty", 5, 2, T0 + 1000, &retry), VN_OK);
    /* At T0 + 1000 "full" has refilled; "empty" has not: sweep keeps it. */
    vn_ratelimit_sweep(r, T0 + 1000);
    assert_int_equal(vn_ratelimit_take(r, "empty", 5, 1, T0 + 1000, &retry), VN_ERATE);
    /* A forgotten bucket starts full again, which is what it was. */
    assert_int_equal(vn_ratelimit_take(r, "full", 4, 2, T0 + 1000, &retry), VN_OK);
    /* Sweeping an empty limiter and sweeping twice are harmless. */
    vn_ratelimit_sweep(r, T0 + 100000);
    vn_ratelimit_sweep(r, T0 + 100000);
    assert_int_equal(vn_ratelimit_take(r, "empty", 5, 2, T0 + 100000, &retry), VN_OK);
    vn_ratelimit_close(&r);
}

/* A cost above the burst costs the whole burst: the retry it is told works. */
static void test_cost_above_burst(void **state)
{
    vn_ratelimit *r = NULL;
    uint64_t retry = 0;
    assert_int_equal(vn_ratelimit_open(&r, 100, 10), VN_OK);
    vn_err err = vn_ratelimit_take(r, "k", 1, 1000, T0, &retry);
    if (err == VN_ERATE)
        assert_int_equal(vn_ratelimit_take(r, "k", 1, 1000, T0 + retry, &retry), VN_OK);
    vn_ratelimit_close(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_rejects),
        cmocka_unit_test(test_burst_then_refill),
        cmocka_unit_test(test_check_takes_nothing),
        cmocka_unit_test(test_retry_is_enough),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_clock_step_back),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_cost_above_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
