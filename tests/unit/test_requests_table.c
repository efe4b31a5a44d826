/* The request table covers the protocol: vn_requests_check, which vangnetd
 * runs at start-up, accepts the table as built from server/requests.h and
 * names the missing body when a row is taken out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "requests.h"

/* The rows of VN_REQUESTS without their handlers (this test links none). */
#define ROW(b, n, h, r, f, d)                                                                      \
    {.body = VN__REQUEST__BODY_##b, .name = n, .roles = r, .flags = f, .refusal = d},
static const vn_request_row rows[] = {VN_REQUESTS(ROW)};
#undef ROW
#define NROWS (sizeof rows / sizeof rows[0])

static void test_full_table_passes(void **state)
{
    char msg[256] = "";
    assert_int_equal(vn_requests_check(rows, NROWS, msg, sizeof msg), VN_OK);
    assert_string_equal(msg, "");
}

/* Every row, taken out in turn, is missed by its proto field name. */
static void test_each_missing_row_is_named(void **state)
{
    const ProtobufCMessageDescriptor *d = &vn__request__descriptor;
    for (size_t skip = 0; skip < NROWS; skip++) {
        vn_request_row less[NROWS];
        char msg[256] = "", want[64];
        size_t n = 0;
        for (size_t i = 0; i < NROWS; i++)
            if (i != skip) less[n++] = rows[i];
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, (unsigned)rows[skip].body);
        assert_non_null(f);
        snprintf(want, sizeof want, "'%s'", f->name);
        assert_int_equal(vn_requests_check(less, n, msg, sizeof msg), VN_EINTERNAL);
        if (!strstr(msg, want))
            fail_msg("row %s: message \"%s\" lacks %s", rows[skip].name, msg, want);
    }
}

/* One row per body, and as many rows as the oneof has fields. */
static void test_one_row_per_body(void **state)
{
    const ProtobufCMessageDescriptor *d = &vn__request__descriptor;
    size_t bodies = 0;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (d->fields[i].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) bodies++;
    assert_int_equal(NROWS, bodies);
    assert_int_equal(NROWS, VN_REQUEST_COUNT);
    for (size_t i = 0; i < NROWS; i++)
        for (size_t k = i + 1; k < NROWS; k++) {
            assert_int_not_equal(rows[i].body, rows[k].body);
            assert_string_not_equal(rows[i].name, rows[k].name);
        }
}

/* Only redeem comes from a key without an account. */
static void test_only_redeem_unregistered(void **state)
{
    for (size_t i = 0; i < NROWS; i++)
        assert_int_equal(!!(rows[i].flags & UNREG), rows[i].body == VN__REQUEST__BODY_REDEEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_table_passes),
        cmocka_unit_test(test_each_missing_row_is_named),
        cmocka_unit_test(test_one_row_per_body),
        cmocka_unit_test(test_only_redeem_unregistered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
