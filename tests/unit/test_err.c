/* Unit tests of the error codes: the numbers are stable (they travel on the
 * wire), stay at or below -10000, are unique and contiguous; every code has
 * a name and a message; unknown codes are named as such. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vn/err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The released numbering, written out: a change here is a wire break. */
static const struct {
    int code;
    const char *name;
} released[] = {
    {-10001, "NOMEM"},          {-10002, "INVAL"},      {-10003, "PROTO"},
    {-10004, "TOOBIG"},         {-10005, "VERSION"},    {-10006, "NOTFOUND"},
    {-10007, "DENIED"},         {-10008, "NOACCOUNT"},  {-10009, "INVITE_USED"},
    {-10010, "INVITE_EXPIRED"}, {-10011, "INVITE_BAD"}, {-10012, "UNREGISTERED"},
    {-10013, "STORE"},          {-10014, "FULL"},       {-10015, "TIMEOUT"},
    {-10016, "CRYPTO"},         {-10017, "UNTRUSTED"},  {-10018, "IO"},
    {-10019, "TRANSPORT"},      {-10020, "DUPLICATE"},  {-10021, "RATE"},
    {-10022, "INTERNAL"},       {-10023, "EXISTS"},     {-10024, "NOSESSION"},
    {-10025, "FORGED"},         {-10026, "EXPIRED"},    {-10027, "UNAVAILABLE"},
};

static void test_released_codes(void **state)
{
    for (size_t i = 0; i < NELEM(released); i++) {
        assert_string_equal(vn_err_name(released[i].code), released[i].name);
        assert_true(vn_err_is_known(released[i].code));
    }
    assert_int_equal(VN_EDENIED, -10007);
    assert_int_equal(VN_ERATE, -10021);
}

static void test_map_is_complete(void **state)
{
    int n = 0;
#define COUNT(name, code, msg) n++;
    VN_ERR_MAP(COUNT)
#undef COUNT
    /* No code was added without adding it to this test's released list. */
    assert_int_equal(n, NELEM(released));
#define CHECK(name, code, msg)                                                                     \
    assert_true((code) <= -10000);                                                                 \
    assert_string_equal(vn_err_name(code), #name);                                                 \
    assert_string_equal(vn_err_str(code), msg);                                                    \
    assert_true(strlen(msg) > 0);
    VN_ERR_MAP(CHECK)
#undef CHECK
    /* Messages are distinct, so a user can tell errors apart. */
    for (size_t i = 0; i < NELEM(released); i++)
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(vn_err_str(released[i].code), vn_err_str(released[j].code));
}

static void test_ok_and_unknown(void **state)
{
    assert_string_equal(vn_err_name(VN_OK), "OK");
    assert_string_equal(vn_err_str(VN_OK), "ok");
    assert_true(vn_err_is_known(VN_OK));
    static const int unknown[] = {1,      -1,    -10000,    -10028,   -9999,
                                  -20000, 10001, INT32_MIN, INT32_MAX};
    for (size_t i = 0; i < NELEM(unknown); i++) {
        assert_false(vn_err_is_known(unknown[i]));
        assert_string_equal(vn_err_name(unknown[i]), "UNKNOWN");
        assert_string_equal(vn_err_str(unknown[i]), "unknown error");
    }
}

/* Every code is on one side of the line between retryable and final,
 * written out here so that a new code must be placed deliberately. */
static void test_retryable(void **state)
{
    static const struct {
        int code;
        int retryable;
    } want[] = {
        {VN_ENOMEM, 1},          {VN_EINVAL, 0},      {VN_EPROTO, 0},
        {VN_ETOOBIG, 0},         {VN_EVERSION, 0},    {VN_ENOTFOUND, 0},
        {VN_EDENIED, 0},         {VN_ENOACCOUNT, 0},  {VN_EINVITE_USED, 0},
        {VN_EINVITE_EXPIRED, 0}, {VN_EINVITE_BAD, 0}, {VN_EUNREGISTERED, 0},
        {VN_ESTORE, 1},          {VN_EFULL, 1},       {VN_ETIMEOUT, 1},
        {VN_ECRYPTO, 0},         {VN_EUNTRUSTED, 0},  {VN_EIO, 1},
        {VN_ETRANSPORT, 1},      {VN_EDUPLICATE, 0},  {VN_ERATE, 1},
        {VN_EINTERNAL, 1},       {VN_EEXISTS, 0},     {VN_ENOSESSION, 0},
        {VN_EFORGED, 0},         {VN_EEXPIRED, 0},    {VN_EUNAVAILABLE, 1},
    };
    assert_int_equal(NELEM(want), NELEM(released));
    for (size_t i = 0; i < NELEM(want); i++) {
        assert_int_equal(want[i].code, released[i].code);
        if (vn_err_is_retryable(want[i].code) != want[i].retryable)
            fail_msg("%s: retryable should be %d", vn_err_name(want[i].code), want[i].retryable);
    }
    assert_false(vn_err_is_retryable(VN_OK));
    /* A newer server's code: kept and retried rather than dropped. */
    assert_true(vn_err_is_retryable(-10999));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_released_codes),
        cmocka_unit_test(test_map_is_complete),
        cmocka_unit_test(test_ok_and_unknown),
        cmocka_unit_test(test_retryable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
