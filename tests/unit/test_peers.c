/* Unit tests of the per-connection peer cache of server/peers.c (compiled
 * into this test directly): an entry answers only for its key at its
 * generation, a descriptor reused by another key or a new generation
 * misses, a closed descriptor's entry goes, and descriptors far apart
 * grow the array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "peers.h"

static vn_peers_ident ident(uint8_t accbyte, vn_role role)
{
    vn_peers_ident id = {.registered = true, .role = role};
    memset(id.account, accbyte, sizeof id.account);
    return id;
}

static void test_hit_and_miss(void **state)
{
    (void)state;
    vn_peers *p = NULL;
    uint8_t k1[32], k2[32];
    memset(k1, 1, sizeof k1);
    memset(k2, 2, sizeof k2);
    vn_peers_ident a = ident(0xaa, VN_ROLE_BUDDY), got;
    assert_int_equal(vn_peers_open(&p), VN_OK);
    assert_false(vn_peers_get(p, 7, k1, 1, &got)); /* nothing noted */
    vn_peers_put(p, 7, k1, 1, &a);
    assert_true(vn_peers_get(p, 7, k1, 1, &got));
    assert_true(got.registered);
    assert_int_equal(got.role, VN_ROLE_BUDDY);
    assert_memory_equal(got.account, a.account, sizeof a.account);
    /* Another key on the descriptor (a reused one): a miss. */
    assert_false(vn_peers_get(p, 7, k2, 1, &got));
    /* Another generation (an account created or deleted since): a miss. */
    assert_false(vn_peers_get(p, 7, k1, 2, &got));
    /* Another descriptor: a miss. */
    assert_false(vn_peers_get(p, 8, k1, 1, &got));
    /* Noted again at the new generation, unregistered now (revoked). */
    vn_peers_ident none = {.registered = false};
    vn_peers_put(p, 7, k1, 2, &none);
    assert_true(vn_peers_get(p, 7, k1, 2, &got));
    assert_false(got.registered);
    assert_false(vn_peers_get(p, 7, k1, 1, &got));
    assert_int_equal(vn_peers_count(p), 1);
    /* Closed: gone; closing again, or an unknown descriptor, is harmless. */
    vn_peers_closed(p, 7);
    assert_false(vn_peers_get(p, 7, k1, 2, &got));
    assert_int_equal(vn_peers_count(p), 0);
    vn_peers_closed(p, 7);
    vn_peers_closed(p, 100000);
    vn_peers_closed(p, -1);
    /* No descriptor: nothing noted. */
    vn_peers_put(p, -1, k1, 2, &a);
    assert_false(vn_peers_get(p, -1, k1, 2, &got));
    assert_int_equal(vn_peers_count(p), 0);
    vn_peers_close(&p);
    assert_null(p);
    vn_peers_close(&p);
}

static void test_many_descriptors(void **state)
{
    (void)state;
    vn_peers *p = NULL;
    uint8_t key[32];
    vn_peers_ident got;
    assert_int_equal(vn_peers_open(&p), VN_OK);
    /* Far past the array's first length, with gaps. */
    for (int fd = 3; fd < 20000; fd += 7) {
        memset(key, fd & 0xff, sizeof key);
        memcpy(key, &fd, sizeof fd);
        vn_peers_ident id = ident((uint8_t)fd, VN_ROLE_PARTICIPANT);
        vn_peers_put(p, fd, key, 5, &id);
    }
    assert_int_equal(vn_peers_count(p), (20000 - 3 + 6) / 7);
    for (int fd = 3; fd < 20000; fd += 7) {
        memset(key, fd & 0xff, sizeof key);
        memcpy(key, &fd, sizeof fd);
        assert_true(vn_peers_get(p, fd, key, 5, &got));
        assert_int_equal(got.account[0], (uint8_t)fd);
        assert_false(vn_peers_get(p, fd + 1, key, 5, &got));
    }
    vn_peers_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_and_miss),
        cmocka_unit_test(test_many_descriptors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
