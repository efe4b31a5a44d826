/* Unit tests of the push subscriptions of server/subs.c (compiled into
 * this test directly): one subscription per account and per descriptor,
 * the end of a subscription when its descriptor closes or is seen with
 * another key or routing id, the maximum, and a table grown past its first
 * buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "subs.h"

/* An account id whose first bytes are n (and so its hash). */
static void account(uint8_t out[VN_ACCOUNT_LEN], uint32_t n)
{
    memset(out, 0xa5, VN_ACCOUNT_LEN);
    memcpy(out, &n, sizeof n);
}

static vn_subs_conn conn(const char *route, int fd, uint8_t keybyte)
{
    vn_subs_conn c = {.route = (const uint8_t *)route, .route_len = strlen(route), .fd = fd};
    memset(c.key, keybyte, sizeof c.key);
    return c;
}

static bool routes_to(vn_subs *s, const uint8_t acc[VN_ACCOUNT_LEN], const char *want)
{
    const uint8_t *r;
    size_t len;
    return vn_subs_route(s, acc, &r, &len) && len == strlen(want) && memcmp(r, want, len) == 0;
}

static void test_add_route_remove(void **state)
{
    vn_subs *s = NULL;
    uint8_t a[VN_ACCOUNT_LEN], b[VN_ACCOUNT_LEN];
    const uint8_t *r;
    size_t len;
    account(a, 1);
    account(b, 2);
    assert_int_equal(vn_subs_open(&s, 16), VN_OK);
    assert_false(vn_subs_route(s, a, &r, &len));
    vn_subs_conn ca = conn("route-a", 7, 1), cb = conn("route-b", 8, 2);
    assert_int_equal(vn_subs_add(s, a, &ca), VN_OK);
    assert_int_equal(vn_subs_add(s, b, &cb), VN_OK);
    assert_true(routes_to(s, a, "route-a"));
    assert_true(routes_to(s, b, "route-b"));
    assert_int_equal(vn_subs_count(s), 2);
    vn_subs_remove(s, a);
    assert_false(vn_subs_route(s, a, &r, &len));
    assert_true(routes_to(s, b, "route-b"));
    vn_subs_remove(s, a); /* twice: nothing */
    assert_int_equal(vn_subs_count(s), 1);
    vn_subs_close(&s);
    assert_null(s);
    vn_subs_close(&s);
    vn_subs_close(NULL);
}

static void test_bad_conn(void **state)
{
    vn_subs *s = NULL;
    uint8_t a[VN_ACCOUNT_LEN];
    char longroute[VN_SUBS_ROUTE_MAX + 2];
    account(a, 1);
    memset(longroute, 'x', sizeof longroute - 1);
    longroute[sizeof longroute - 1] = 0;
    assert_int_equal(vn_subs_open(&s, 16), VN_OK);
    vn_subs_conn nofd = conn("r", -1, 1), empty = conn("", 3, 1), big = conn(longroute, 3, 1);
    assert_int_equal(vn_subs_add(s, a, &nofd), VN_EINVAL);
    assert_int_equal(vn_subs_add(s, a, &empty), VN_EINVAL);
    assert_int_equal(vn_subs_add(s, a, &big), VN_EINVAL);
    assert_int_equal(vn_subs_count(s), 0);
    vn_subs_close(&s);
}

/* The newest subscription of an account wins, and its old descriptor no
 * longer ends it. */
static void test_resubscribe(void **state)
{
    vn_subs *s = NULL;
    uint8_t a[VN_ACCOUNT_LEN];
    account(a, 1);
    assert_int_equal(vn_subs_open(&s, 16), VN_OK);
    vn_subs_conn old = conn("old", 5, 1), new = conn("new", 9, 1);
    assert_int_equal(vn_subs_add(s, a, &old), VN_OK);
    assert_int_equal(vn_subs_add(s, a, &new), VN_OK);
    assert_int_equal(vn_subs_count(s), 1);
    assert_true(routes_to(s, a, "new"));
    vn_subs_closed(s, 5);
    assert_true(routes_to(s, a, "new"));
    vn_subs_closed(s, 9);
    assert_int_equal(vn_subs_count(s), 0);
    vn_subs_close(&s);
}

/* A closed descriptor, or one reused by a connection with another key or
 * routing id, ends what it carried; the same connection does not. */
static void test_closed_and_seen(void **state)
{
    vn_subs *s = NULL;
    uint8_t victim[VN_ACCOUNT_LEN], spy[VN_ACCOUNT_LEN];
    const uint8_t *r;
    size_t len;
    account(victim, 1);
    account(spy, 2);
    assert_int_equal(vn_subs_open(&s, 16), VN_OK);
    vn_subs_conn v = conn("shared", 4, 1);
    assert_int_equal(vn_subs_add(s, victim, &v), VN_OK);
    vn_subs_closed(s, 3);    /* another descriptor: nothing */
    vn_subs_closed(s, 4000); /* never seen: nothing */
    vn_subs_seen(s, &v);     /* the same connection again: nothing */
    assert_true(routes_to(s, victim, "shared"));
    vn_subs_conn other_key = conn("shared", 4, 2);
    vn_subs_seen(s, &other_key);
    assert_false(vn_subs_route(s, victim, &r, &len));

    assert_int_equal(vn_subs_add(s, victim, &v), VN_OK);
    vn_subs_conn other_route = conn("shared-2", 4, 1);
    vn_subs_seen(s, &other_route);
    assert_false(vn_subs_route(s, victim, &r, &len));

    /* The spy subscribes on the victim's descriptor and routing id: the
     * victim's subscription ends, the spy gets only its own. */
    assert_int_equal(vn_subs_add(s, victim, &v), VN_OK);
    vn_subs_conn sp = conn("shared", 4, 2);
    assert_int_equal(vn_subs_add(s, spy, &sp), VN_OK);
    assert_false(vn_subs_route(s, victim, &r, &len));
    assert_true(routes_to(s, spy, "shared"));
    assert_int_equal(vn_subs_count(s), 1);
    vn_subs_closed(s, 4);
    assert_int_equal(vn_subs_count(s), 0);
    vn_subs_close(&s);
}

/* Every end of a subscription is told, once, with its account (a follower
 * of a cluster stops watching the account's pushes then); the close of the
 * table is not. */
typedef struct ends {
    int n;
    uint8_t last[VN_ACCOUNT_LEN];
} ends;

static void on_end(void *ud, const uint8_t acc[VN_ACCOUNT_LEN])
{
    ends *e = ud;
    e->n++;
    memcpy(e->last, acc, VN_ACCOUNT_LEN);
}

static void test_end_told(void **state)
{
    vn_subs *s = NULL;
    ends e = {0};
    uint8_t a[VN_ACCOUNT_LEN], b[VN_ACCOUNT_LEN];
    account(a, 1);
    account(b, 2);
    assert_int_equal(vn_subs_open(&s, 16), VN_OK);
    vn_subs_on_end(s, on_end, &e);
    vn_subs_conn c1 = conn("r1", 5, 1), c2 = conn("r2", 6, 1), c3 = conn("r3", 7, 3);
    assert_int_equal(vn_subs_add(s, a, &c1), VN_OK);
    assert_int_equal(e.n, 0);
    vn_subs_closed(s, 5); /* the connection went away */
    assert_int_equal(e.n, 1);
    assert_memory_equal(e.last, a, VN_ACCOUNT_LEN);
    vn_subs_closed(s, 5); /* nothing left there: not told again */
    assert_int_equal(e.n, 1);
    assert_int_equal(vn_subs_add(s, a, &c1), VN_OK);
    assert_int_equal(vn_subs_add(s, a, &c2), VN_OK); /* replaced */
    assert_int_equal(e.n, 2);
    vn_subs_remove(s, a);
    assert_int_equal(e.n, 3);
    vn_subs_remove(s, a);
    assert_int_equal(e.n, 3);
    assert_int_equal(vn_subs_add(s, b, &c3), VN_OK);
    vn_subs_conn reused = conn("r3", 7, 4); /* descriptor 7, another key */
    vn_subs_seen(s, &reused);
    assert_int_equal(e.n, 4);
    assert_memory_equal(e.last, b, VN_ACCOUNT_LEN);
    assert_int_equal(vn_subs_add(s, a, &c1), VN_OK);
    vn_subs_close(&s); /* the table goes: no one is told */
    assert_int_equal(e.n, 4);
    (void)state;
}

static void test_max_and_growth(void **state)
{
    vn_subs *s = NULL;
    uint8_t a[VN_ACCOUNT_LEN];
    char route[32];
    enum { N = 1000 };
    assert_int_equal(vn_subs_open(&s, N), VN_OK);
    for (int i = 0; i < N; i++) {
        account(a, (uint32_t)i * 64); /* the same low bits: long chains before growth */
        snprintf(route, sizeof route, "r%d", i);
        vn_subs_conn c = conn(route, i, 1);
        assert_int_equal(vn_subs_add(s, a, &c), VN_OK);
    }
    account(a, 999999);
    vn_subs_conn extra = conn("extra", N, 1);
    assert_int_equal(vn_subs_add(s, a, &extra), VN_ETOOBIG);
    for (int i = 0; i < N; i++) {
        account(a, (uint32_t)i * 64);
        snprintf(route, sizeof route, "r%d", i);
        assert_true(routes_to(s, a, route));
    }
    for (int i = 0; i < N; i += 2)
        vn_subs_closed(s, i);
    assert_int_equal(vn_subs_count(s), N / 2);
    account(a, 64);
    assert_true(routes_to(s, a, "r1"));
    vn_subs_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_route_remove), cmocka_unit_test(test_bad_conn),
        cmocka_unit_test(test_resubscribe),      cmocka_unit_test(test_closed_and_seen),
        cmocka_unit_test(test_max_and_growth),   cmocka_unit_test(test_end_told),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
