/* Unit tests of vn_utf8: well-formed UTF-8 and the request walk that finds
 * a string field that is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vangnet.pb-c.h"
#include "vn/utf8.h"

static void test_valid(void **state)
{
    static const char *const good[] = {"",
                                       "plain",
                                       "caf\xc3\xa9",
                                       "\xe2\x82\xac 5",
                                       "\xf0\x9f\x98\x80",
                                       "\xef\xbf\xbf",
                                       "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!vn_utf8_valid(good[i], strlen(good[i]))) fail_msg("good[%zu] refused", i);
}

static void test_invalid(void **state)
{
    static const char *const bad[] = {
        "\x80",             /* a continuation byte first */
        "\xc0\x80",         /* overlong NUL */
        "\xe0\x80\xaf",     /* overlong slash */
        "\xed\xa0\x80",     /* a surrogate */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xe2\x82",         /* truncated */
        "ok\xf8\x88\x80\x80\x80",
        "\xc3(", /* a continuation that is not one */
        "\xff",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (vn_utf8_valid(bad[i], strlen(bad[i]))) fail_msg("bad[%zu] accepted", i);
}

static void test_request_walk(void **state)
{
    const char *field = NULL;
    Vn__Request req = VN__REQUEST__INIT;
    Vn__CaseShow cs = VN__CASE_SHOW__INIT;
    req.body_case = VN__REQUEST__BODY_CASE_SHOW;
    req.case_show = &cs;
    cs.case_id = "0123456789abcdef0123456789abcdef";
    assert_true(vn_utf8_message_valid(&req.base, &field));
    cs.case_id = "01234567\xed\xa0\x80";
    assert_false(vn_utf8_message_valid(&req.base, &field));
    assert_string_equal(field, "case_id");

    /* Nested: a contract inside contract-set. */
    Vn__ContractSet set = VN__CONTRACT_SET__INIT;
    Vn__Contract c = VN__CONTRACT__INIT;
    req.body_case = VN__REQUEST__BODY_CONTRACT_SET;
    req.contract_set = &set;
    set.contract = &c;
    c.time_zone = "Europe/Amsterdam";
    assert_true(vn_utf8_message_valid(&req.base, &field));
    c.time_zone = "Europe/\xc0\xae";
    field = NULL;
    assert_false(vn_utf8_message_valid(&req.base, &field));
    assert_string_equal(field, "time_zone");

    /* Bytes are not text: an ack's ids may be anything. */
    Vn__Ack ack = VN__ACK__INIT;
    uint8_t raw[16] = {0xff};
    ProtobufCBinaryData id = {sizeof raw, raw};
    req.body_case = VN__REQUEST__BODY_ACK;
    req.ack = &ack;
    ack.n_ids = 1;
    ack.ids = &id;
    assert_true(vn_utf8_message_valid(&req.base, &field));

    /* A repeated string field with one bad entry is found. */
    Vn__CaseInfo ci = VN__CASE_INFO__INIT;
    char *leads[] = {"fine", "\xe2\x82"};
    ci.n_medical_leads = 2;
    ci.medical_leads = leads;
    field = NULL;
    assert_false(vn_utf8_message_valid(&ci.base, &field));
    assert_string_equal(field, "medical_leads");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_request_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
