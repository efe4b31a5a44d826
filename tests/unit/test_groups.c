/* Unit tests of the server's group tables (vn/groups.h): creating a group
 * within the cap limits, invites redeemed once and refused when expired,
 * the cap (a sixth member over five is refused, and the invite waits for a
 * free place), leaving, who shares a group (the routing relation), and an
 * account's deletion taking it out of its groups or deleting the groups it
 * runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "store_fixture.h"
#include "vn/accounts.h"
#include "vn/groups.h"
#include "vn/lifecycle.h"

#define NOW  1700000000000ULL
#define TTL  (7ULL * 86400000)
#define NACC 8

typedef struct fx {
    char dir[32];
    vn_sstore *st;
    uint8_t acc[NACC][VN_ACCOUNT_LEN]; /* acc[0] the facilitator, the rest doctors */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->st = store_open_tmp(f->dir);
    for (int i = 0; i < NACC; i++) {
        uint8_t key[32];
        memset(key, i + 1, sizeof key);
        assert_int_equal(vn_accounts_create(f->st,
                                            i == 0 ? VN_ROLE_FACILITATOR : VN_ROLE_PARTICIPANT, key,
                                            NOW, f->acc[i]),
                         VN_OK);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    vn_sstore_close(&f->st);
    store_rm_tmp(f->dir);
    free(f);
    return 0;
}

static void join(fx *f, const vn_group_info *g, int who, vn_err want)
{
    uint8_t secret[VN_INVITE_SECRET_LEN];
    vn_group_info got;
    assert_int_equal(vn_groups_invite(f->st, g->id, NOW, TTL, secret), VN_OK);
    assert_int_equal(vn_groups_redeem(f->st, secret, f->acc[who], NOW + 1, &got), want);
}

static void test_create_and_cap(void **state)
{
    fx *f = *state;
    vn_group_info g, read;
    assert_int_equal(vn_groups_create(f->st, f->acc[0], 0, &g), VN_EINVAL);
    assert_int_equal(vn_groups_create(f->st, f->acc[0], VN_GROUP_CAP_MAX + 1, &g), VN_EINVAL);
    assert_int_equal(vn_groups_create(f->st, f->acc[0], 5, &g), VN_OK);
    assert_int_equal(vn_groups_get(f->st, g.id, &read), VN_OK);
    assert_memory_equal(read.facilitator, f->acc[0], VN_ACCOUNT_LEN);
    assert_int_equal(read.cap, 5);
    for (int i = 1; i <= 5; i++)
        join(f, &g, i, VN_OK);
    /* The sixth over a cap of five. */
    uint8_t secret[VN_INVITE_SECRET_LEN];
    vn_group_info got;
    assert_int_equal(vn_groups_invite(f->st, g.id, NOW, TTL, secret), VN_OK);
    assert_int_equal(vn_groups_redeem(f->st, secret, f->acc[6], NOW, &got), VN_ETOOBIG);
    /* Twice in, or the facilitator as a member: refused. */
    join(f, &g, 1, VN_EEXISTS);
    join(f, &g, 0, VN_EEXISTS);
    uint8_t m[VN_GROUP_CAP_MAX][VN_ACCOUNT_LEN];
    size_t n = 0;
    assert_int_equal(vn_groups_members(f->st, g.id, m, VN_GROUP_CAP_MAX, &n), VN_OK);
    assert_int_equal(n, 5);
    /* A place comes free: the waiting invite now works, once. */
    assert_int_equal(vn_groups_remove(f->st, g.id, f->acc[3]), VN_OK);
    assert_int_equal(vn_groups_remove(f->st, g.id, f->acc[3]), VN_ENOTFOUND);
    assert_false(vn_groups_is_member(f->st, g.id, f->acc[3]));
    assert_int_equal(vn_groups_redeem(f->st, secret, f->acc[6], NOW, &got), VN_OK);
    assert_memory_equal(got.id, g.id, VN_ACCOUNT_LEN);
    assert_int_equal(vn_groups_redeem(f->st, secret, f->acc[7], NOW, &got), VN_EINVITE_BAD);
}

static void test_invites_expire(void **state)
{
    fx *f = *state;
    vn_group_info g, got;
    uint8_t secret[VN_INVITE_SECRET_LEN], other[VN_INVITE_SECRET_LEN] = {0};
    assert_int_equal(vn_groups_create(f->st, f->acc[0], 3, &g), VN_OK);
    assert_int_equal(vn_groups_invite(f->st, g.id, NOW, 1000, secret), VN_OK);
    assert_int_equal(vn_groups_redeem(f->st, secret, f->acc[1], NOW + 1000, &got),
                     VN_EINVITE_EXPIRED);
    assert_int_equal(vn_groups_redeem(f->st, other, f->acc[1], NOW, &got), VN_EINVITE_BAD);
    /* The next invite sweeps the expired one. */
    assert_int_equal(vn_groups_invite(f->st, g.id, NOW + 2000, TTL, other), VN_OK);
    assert_int_equal(vn_groups_redeem(f->st, secret, f->acc[1], NOW + 2000, &got), VN_EINVITE_BAD);
}

static void test_share_is_the_routing_relation(void **state)
{
    fx *f = *state;
    vn_group_info a, b;
    assert_int_equal(vn_groups_create(f->st, f->acc[0], 5, &a), VN_OK);
    assert_int_equal(vn_groups_create(f->st, f->acc[0], 5, &b), VN_OK);
    join(f, &a, 1, VN_OK);
    join(f, &a, 2, VN_OK);
    join(f, &b, 3, VN_OK);
    assert_true(vn_groups_share(f->st, f->acc[1], f->acc[2]));
    assert_true(vn_groups_share(f->st, f->acc[2], f->acc[1]));
    assert_true(vn_groups_share(f->st, f->acc[0], f->acc[3])); /* the facilitator */
    assert_true(vn_groups_share(f->st, f->acc[3], f->acc[0]));
    assert_false(vn_groups_share(f->st, f->acc[1], f->acc[3])); /* different groups */
    assert_false(vn_groups_share(f->st, f->acc[1], f->acc[1]));
    assert_false(vn_groups_share(f->st, f->acc[4], f->acc[1])); /* in none */
    assert_int_equal(vn_groups_remove(f->st, a.id, f->acc[2]), VN_OK);
    assert_false(vn_groups_share(f->st, f->acc[1], f->acc[2])); /* left: no route */
    uint8_t ids[VN_GROUPS_PER_ACCOUNT][VN_ACCOUNT_LEN];
    size_t n = 0;
    assert_int_equal(vn_groups_of(f->st, f->acc[0], ids, VN_GROUPS_PER_ACCOUNT, &n), VN_OK);
    assert_int_equal(n, 2);
}

static void test_deleting_accounts(void **state)
{
    fx *f = *state;
    vn_group_info g, got;
    assert_int_equal(vn_groups_create(f->st, f->acc[0], 5, &g), VN_OK);
    join(f, &g, 1, VN_OK);
    join(f, &g, 2, VN_OK);
    /* A member's account goes: it leaves the group. */
    assert_int_equal(vn_lifecycle_delete_account(f->st, f->acc[2]), VN_OK);
    assert_false(vn_groups_is_member(f->st, g.id, f->acc[2]));
    assert_true(vn_groups_is_member(f->st, g.id, f->acc[1]));
    /* The facilitator's goes: the group goes, with its members and invites. */
    uint8_t secret[VN_INVITE_SECRET_LEN];
    assert_int_equal(vn_groups_invite(f->st, g.id, NOW, TTL, secret), VN_OK);
    assert_int_equal(vn_lifecycle_delete_account(f->st, f->acc[0]), VN_OK);
    assert_int_equal(vn_groups_get(f->st, g.id, &got), VN_ENOTFOUND);
    assert_false(vn_groups_is_member(f->st, g.id, f->acc[1]));
    assert_int_equal(vn_groups_redeem(f->st, secret, f->acc[3], NOW, &got), VN_EINVITE_BAD);
    uint8_t ids[VN_GROUPS_PER_ACCOUNT][VN_ACCOUNT_LEN];
    size_t n = 1;
    assert_int_equal(vn_groups_of(f->st, f->acc[1], ids, VN_GROUPS_PER_ACCOUNT, &n), VN_OK);
    assert_int_equal(n, 0);
    /* Nothing of the group, or of the deleted accounts, is left anywhere. */
    vn_sstore_close(&f->st);
    assert_int_equal(store_traces(f->dir, g.id), 0);
    assert_int_equal(store_traces(f->dir, f->acc[0]), 0);
    assert_int_equal(store_traces(f->dir, f->acc[2]), 0);
    assert_int_equal(vn_sstore_open(&f->st, f->dir, 0, store_test_key), VN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invites_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_share_is_the_routing_relation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleting_accounts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
