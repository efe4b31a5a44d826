/* Unit tests of the shared helpers: hex and base64url codecs (RFC 4648
 * vectors, exact output sizes, every kind of bad input), account ids,
 * bounded decimal and duration parsing at their limits, the big-endian
 * helpers and the hash and randomness wrappers.
 * covers: rand sha256 hex b64url parse wallclock account */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vn/rand.h"
#include "vn/sha256.h"
#include "vn/hex.h"
#include "vn/b64url.h"
#include "vn/parse.h"
#include "vn/wallclock.h"
#include "vn/be.h"
#include "vn/account.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void test_hex_encode(void **state)
{
    static const uint8_t in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof in + 1];
    memset(out, 'x', sizeof out);
    vn_hex_encode(in, sizeof in, out);
    assert_string_equal(out, "00017f80abff");
    /* Empty input still terminates the string. */
    out[0] = 'x';
    vn_hex_encode(in, 0, out);
    assert_string_equal(out, "");
}

static void test_hex_decode(void **state)
{
    uint8_t out[4];
    assert_int_equal(vn_hex_decode("00017fff", out, 4), VN_OK);
    assert_memory_equal(out, "\x00\x01\x7f\xff", 4);
    /* Upper case is accepted on input (account ids are shown lower case). */
    assert_int_equal(vn_hex_decode("ABCDEF01", out, 4), VN_OK);
    assert_memory_equal(out, "\xab\xcd\xef\x01", 4);
    assert_int_equal(vn_hex_decode("", out, 0), VN_OK);

    static const char *const bad[] = {
        "00017ff",   /* one short */
        "00017fff0", /* one long */
        "00017fff00", "0001 7ff", "0g017fff", "00017ffg", "-0017fff", "0x017fff", "",
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        memset(out, 0x55, sizeof out);
        if (vn_hex_decode(bad[i], out, 4) != VN_EINVAL) fail_msg("\"%s\" decoded", bad[i]);
    }
    assert_int_equal(vn_hex_decode(NULL, out, 4), VN_EINVAL);

    /* Round trip over every byte value. */
    uint8_t all[256], back[256];
    char text[513];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    vn_hex_encode(all, 256, text);
    assert_int_equal(strlen(text), 512);
    assert_int_equal(vn_hex_decode(text, back, 256), VN_OK);
    assert_memory_equal(all, back, 256);
}

static void test_account_valid(void **state)
{
    assert_true(vn_account_valid("0123456789abcdef0123456789abcdef"));
    assert_true(vn_account_valid("ffffffffffffffffffffffffffffffff"));
    assert_false(vn_account_valid("0123456789ABCDEF0123456789abcdef"));  /* upper case */
    assert_false(vn_account_valid("0123456789abcdef0123456789abcde"));   /* 31 */
    assert_false(vn_account_valid("0123456789abcdef0123456789abcdef0")); /* 33 */
    assert_false(vn_account_valid("0123456789abcdef0123456789abcdeg"));
    assert_false(vn_account_valid("0123456789abcdef 123456789abcdef"));
    assert_false(vn_account_valid(""));
    assert_false(vn_account_valid(NULL));
    /* What vn_hex_encode makes of an account is always valid. */
    uint8_t acct[VN_ACCOUNT_LEN];
    char hex[VN_ACCOUNT_HEX + 1];
    memset(acct, 0xc3, sizeof acct);
    vn_hex_encode(acct, sizeof acct, hex);
    assert_true(vn_account_valid(hex));
}

/* RFC 4648 section 10, in the URL alphabet and without padding. */
static const struct {
    const char *raw, *text;
} b64_vectors[] = {
    {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
    {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
};

static void test_b64url_vectors(void **state)
{
    for (size_t i = 0; i < NELEM(b64_vectors); i++) {
        char text[16];
        uint8_t raw[16];
        size_t n = 99, len = strlen(b64_vectors[i].raw);
        assert_int_equal(
            vn_b64url_encode((const uint8_t *)b64_vectors[i].raw, len, text, sizeof text), VN_OK);
        assert_string_equal(text, b64_vectors[i].text);
        assert_int_equal(vn_b64url_decode(b64_vectors[i].text, raw, sizeof raw, &n), VN_OK);
        assert_int_equal(n, len);
        assert_memory_equal(raw, b64_vectors[i].raw, len);
    }
    /* The two characters that differ from standard base64. */
    static const uint8_t hi[] = {0xfb, 0xff, 0xbf};
    char text[8];
    assert_int_equal(vn_b64url_encode(hi, sizeof hi, text, sizeof text), VN_OK);
    assert_string_equal(text, "-_-_");
}

static void test_b64url_sizes(void **state)
{
    /* Output size is exact: ceil(4n/3) characters plus the NUL. */
    uint8_t raw[64];
    char text[100];
    memset(raw, 0x5a, sizeof raw);
    for (size_t len = 0; len <= sizeof raw; len++) {
        size_t chars = len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
        assert_int_equal(vn_b64url_encode(raw, len, text, chars + 1), VN_OK);
        assert_int_equal(strlen(text), chars);
        assert_int_equal(vn_b64url_encode(raw, len, text, chars), VN_ETOOBIG);
    }
    assert_int_equal(vn_b64url_encode(raw, 0, text, 0), VN_ETOOBIG);

    /* Decode writes at most outsize bytes. */
    uint8_t out[6];
    size_t n = 0;
    assert_int_equal(vn_b64url_decode("Zm9vYmFy", out, 6, &n), VN_OK);
    assert_int_equal(n, 6);
    assert_int_equal(vn_b64url_decode("Zm9vYmFy", out, 5, &n), VN_ETOOBIG);
    assert_int_equal(vn_b64url_decode("Zm9vYmE", out, 5, &n), VN_OK);
    assert_int_equal(n, 5);
    assert_int_equal(vn_b64url_decode("Zg", out, 0, &n), VN_ETOOBIG);
}

static void test_b64url_rejects(void **state)
{
    static const char *const bad[] = {
        "Z",                /* a lone character carries no whole byte */
        "Zm9vY",            /* 4k+1 characters */
        "Zg==",             /* padding is not used */
        "Zm8=",   "Zm9v+A", /* standard alphabet */
        "Zm9v/A", "Zm 9v",  "Zm9v\n", "Zm9.",
        "Zm9v*",  "Zh",     "Zm9", /* stray low bits: "Zg" and "Zm8" are the encodings */
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        uint8_t out[16];
        size_t n = 77;
        if (vn_b64url_decode(bad[i], out, sizeof out, &n) != VN_EINVAL)
            fail_msg("\"%s\" decoded", bad[i]);
        assert_int_equal(n, 77); /* untouched on failure */
    }
}

static void test_b64url_round_trip(void **state)
{
    uint8_t raw[300], back[300];
    char text[401];
    for (size_t len = 0; len <= sizeof raw; len += 7) {
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
            raw[i] = (uint8_t)(i * 151 + len);
        assert_int_equal(vn_b64url_encode(raw, len, text, sizeof text), VN_OK);
        for (const char *p = text; *p; p++)
            assert_non_null(
                strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
        assert_int_equal(vn_b64url_decode(text, back, sizeof back, &n), VN_OK);
        assert_int_equal(n, len);
        assert_memory_equal(raw, back, len);
    }
}

static void test_parse_u64(void **state)
{
    uint64_t v = 0;
    assert_int_equal(vn_parse_u64("0", 0, 10, &v), VN_OK);
    assert_int_equal(v, 0);
    assert_int_equal(vn_parse_u64("007", 0, 10, &v), VN_OK);
    assert_int_equal(v, 7);
    assert_int_equal(vn_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), VN_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(vn_parse_u64("18446744073709551614", 0, UINT64_MAX, &v), VN_OK);
    assert_true(v == UINT64_MAX - 1);
    /* The bounds are inclusive. */
    assert_int_equal(vn_parse_u64("5", 5, 10, &v), VN_OK);
    assert_int_equal(v, 5);
    assert_int_equal(vn_parse_u64("10", 5, 10, &v), VN_OK);
    assert_int_equal(v, 10);

    static const struct {
        const char *s;
        uint64_t min, max;
    } bad[] = {
        {"4", 5, 10},
        {"11", 5, 10},
        {"0", 1, 10},
        {"18446744073709551616", 0, UINT64_MAX}, /* 2^64 */
        {"18446744073709551620", 0, UINT64_MAX},
        {"99999999999999999999", 0, UINT64_MAX},
        {"184467440737095516150", 0, UINT64_MAX},
        {"", 0, 10},
        {"-1", 0, 10},
        {"+1", 0, 10},
        {" 1", 0, 10},
        {"1 ", 0, 10},
        {"1a", 0, 10},
        {"0x1", 0, 10},
        {"1.0", 0, 10},
        {"1e1", 0, 100},
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        v = 12345;
        if (vn_parse_u64(bad[i].s, bad[i].min, bad[i].max, &v) != VN_EINVAL)
            fail_msg("\"%s\" parsed in [%llu, %llu]", bad[i].s, (unsigned long long)bad[i].min,
                     (unsigned long long)bad[i].max);
        assert_int_equal(v, 12345); /* untouched on failure */
    }
    assert_int_equal(vn_parse_u64(NULL, 0, 10, &v), VN_EINVAL);
}

static void test_parse_duration(void **state)
{
    static const struct {
        const char *s;
        uint64_t ms;
    } good[] = {
        {"0s", 0},
        {"1s", 1000},
        {"90s", 90000},
        {"90m", 5400000},
        {"36h", 129600000},
        {"31d", 2678400000},
        {"015m", 900000},
        {"1d", 86400000},
        /* The largest whole number of days that fits in 64-bit milliseconds. */
        {"213503982334d", 213503982334ULL * 86400000ULL},
        {"18446744073709551s", 18446744073709551ULL * 1000ULL},
    };
    for (size_t i = 0; i < NELEM(good); i++) {
        uint64_t ms = 1;
        if (vn_parse_duration(good[i].s, &ms) != VN_OK) fail_msg("\"%s\" refused", good[i].s);
        assert_true(ms == good[i].ms);
    }
    static const char *const bad[] = {
        "",
        "s",
        "d",
        "10",
        "10x",
        "10S",
        "10ms",
        "-1s",
        "+1s",
        " 1s",
        "1 s",
        "1.5h",
        "h1",
        "s1",
        "1sd",
        "213503982335d",      /* one day too many for 64-bit milliseconds */
        "18446744073709552s", /* the same for seconds */
        "99999999999999999999999s",
        "0000000000000000000000001s", /* longer than any real duration */
    };
    for (size_t i = 0; i < NELEM(bad); i++) {
        uint64_t ms = 42;
        if (vn_parse_duration(bad[i], &ms) != VN_EINVAL) fail_msg("\"%s\" parsed", bad[i]);
        assert_int_equal(ms, 42);
    }
    uint64_t ms = 42;
    assert_int_equal(vn_parse_duration(NULL, &ms), VN_EINVAL);
    assert_int_equal(ms, 42);
}

static void test_be_helpers(void **state)
{
    uint8_t b[8];
    vn_be_put64(b, 0x0102030405060708ULL);
    assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_true(vn_be_get64(b) == 0x0102030405060708ULL);
    vn_be_put64(b, UINT64_MAX);
    assert_memory_equal(b, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    assert_true(vn_be_get64(b) == UINT64_MAX);
    vn_be_put64(b, 0);
    assert_memory_equal(b, "\0\0\0\0\0\0\0\0", 8);
    assert_true(vn_be_get64(b) == 0);

    uint8_t c[5] = {0, 0, 0, 0, 0xee};
    vn_be_put32(c, 0xa1b2c3d4u);
    assert_memory_equal(c, "\xa1\xb2\xc3\xd4\xee", 5); /* writes exactly 4 bytes */
    assert_int_equal(vn_be_get32(c), 0xa1b2c3d4u);
    vn_be_put32(c, UINT32_MAX);
    assert_int_equal(vn_be_get32(c), UINT32_MAX);

    /* The point of big-endian keys: byte order is numeric order. */
    static const uint64_t vals[] = {
        0, 1, 255, 256, 65535, 1ULL << 32, (1ULL << 63) - 1, 1ULL << 63, UINT64_MAX};
    for (size_t i = 1; i < NELEM(vals); i++) {
        uint8_t lo[8], hi[8];
        vn_be_put64(lo, vals[i - 1]);
        vn_be_put64(hi, vals[i]);
        assert_true(memcmp(lo, hi, 8) < 0);
    }
}

static void test_sha256_and_random(void **state)
{
    uint8_t h[32];
    char hex[65];
    assert_int_equal(vn_sha256("abc", 3, h), VN_OK);
    vn_hex_encode(h, 32, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(vn_sha256("", 0, h), VN_OK);
    vn_hex_encode(h, 32, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
    assert_int_equal(vn_rand_bytes(a, sizeof a), VN_OK);
    assert_int_equal(vn_rand_bytes(b, sizeof b), VN_OK);
    assert_memory_not_equal(a, zero, 32);
    assert_memory_not_equal(a, b, 32);
    assert_int_equal(vn_rand_bytes(a, 0), VN_OK);

    /* After 2020-01-01 and before 2200: a wall clock in milliseconds. */
    uint64_t now = vn_wallclock_ms();
    assert_true(now > 1577836800000ULL);
    assert_true(now < 7258118400000ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_encode),        cmocka_unit_test(test_hex_decode),
        cmocka_unit_test(test_account_valid),     cmocka_unit_test(test_b64url_vectors),
        cmocka_unit_test(test_b64url_sizes),      cmocka_unit_test(test_b64url_rejects),
        cmocka_unit_test(test_b64url_round_trip), cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_parse_duration),    cmocka_unit_test(test_be_helpers),
        cmocka_unit_test(test_sha256_and_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
