/* Unit tests of the store core's sealing: the key check written at
 * creation, a wrong key and a store of the old format refused with their
 * own errors, and a copy of a whole store under a new key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "store_fixture.h"
#include "vn/accounts.h"
#include "vn/kv.h"
#include "vn/meta.h"
#include "vn/account.h"

static const uint8_t other_key[32] = {0xee, 0x01};

static void test_key_check(void **state)
{
    (void)state;
    char dir[32];
    vn_sstore *st = store_open_tmp(dir);
    assert_int_equal(vn_meta_set_test_clock(st, true), VN_OK);
    vn_sstore_close(&st);
    /* The same key opens it again and sees what was written. */
    assert_int_equal(vn_sstore_open(&st, dir, 0, store_test_key), VN_OK);
    assert_true(vn_meta_test_clock(st));
    vn_sstore_close(&st);
    /* Another key does not open it, and leaves no handle behind. */
    assert_int_equal(vn_sstore_open(&st, dir, 0, other_key), VN_ECRYPTO);
    assert_null(st);
    assert_int_equal(vn_sstore_open(&st, dir, 0, store_test_key), VN_OK);
    vn_sstore_close(&st);
    store_rm_tmp(dir);
}

/* A store of the format before sealing: readable names in meta. */
static void test_old_format(void **state)
{
    (void)state;
    char dir[32];
    vn_kv *kv = NULL;
    const char *names[64];
    vn_sstore *st = NULL;
    memcpy(dir, "/tmp/vn-store-XXXXXX", sizeof "/tmp/vn-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    for (int t = 0; t < vn_sstore_table_count(); t++)
        names[t] = vn_sstore_table_name(t);
    assert_int_equal(vn_kv_open(&kv, dir, names, vn_sstore_table_count(), 0), VN_OK);
    assert_int_equal(vn_kv_put(kv, 0, "mail_seq", 8, "\0\0\0\0\0\0\0\1", 8), VN_OK);
    vn_kv_close(&kv);
    assert_int_equal(vn_sstore_open(&st, dir, 0, store_test_key), VN_EVERSION);
    assert_null(st);
    store_rm_tmp(dir);
}

static void test_copy_to_new_key(void **state)
{
    (void)state;
    char dir[32], dir2[32];
    uint8_t acc[VN_ACCOUNT_LEN], dev[VN_CURVE_KEY_LEN] = {0xde};
    vn_sstore *st = store_open_tmp(dir), *to = NULL;
    assert_int_equal(vn_accounts_create(st, VN_ROLE_BUDDY, dev, 1, acc), VN_OK);
    memcpy(dir2, "/tmp/vn-store-XXXXXX", sizeof "/tmp/vn-store-XXXXXX");
    assert_non_null(mkdtemp(dir2));
    assert_int_equal(vn_sstore_open(&to, dir2, 0, other_key), VN_OK);
    assert_int_equal(vn_sstore_copy(st, to), VN_OK);
    vn_sstore_close(&st);
    vn_sstore_close(&to);
    /* Walked in the clear, the store holds the account (store_traces is
     * how the other store tests prove a deletion). */
    assert_true(store_traces(dir, acc) > 0);
    assert_int_equal(vn_sstore_open(&to, dir2, 0, store_test_key), VN_ECRYPTO);
    assert_int_equal(vn_sstore_open(&to, dir2, 0, other_key), VN_OK);
    vn_role role;
    assert_int_equal(vn_accounts_role(to, acc, &role), VN_OK);
    assert_int_equal(role, VN_ROLE_BUDDY);
    vn_sstore_close(&to);
    store_rm_tmp(dir);
    store_rm_tmp(dir2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_check),
        cmocka_unit_test(test_old_format),
        cmocka_unit_test(test_copy_to_new_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
