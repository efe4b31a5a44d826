/* Unit tests of the invite codec: round trips at every endpoint length
 * limit, the exact text layout, output-size limits, and corrupted codes
 * (wrong prefix, truncated, extended, bad characters, inconsistent length
 * byte, unprintable endpoints, oversize text) all named VN_EINVITE_BAD;
 * and the vn2 form of several endpoints: round trips, its layout, the old
 * form still decoding, and garbage (counts 0, 1, 5, 255, lengths past the
 * end or over 200, commas, truncations) refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vn/invite.h"
#include "vn/rand.h"
#include "vn/b64url.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static vn_invite sample(const char *endpoint)
{
    vn_invite inv;
    memset(&inv, 0, sizeof inv);
    snprintf(inv.endpoint, sizeof inv.endpoint, "%s", endpoint);
    for (int i = 0; i < VN_CURVE_KEY_LEN; i++)
        inv.server_key[i] = (uint8_t)(0x80 + i);
    for (int i = 0; i < VN_INVITE_SECRET_LEN; i++)
        inv.secret[i] = (uint8_t)(0xff - 3 * i);
    return inv;
}

static void assert_same_invite(const vn_invite *a, const vn_invite *b)
{
    assert_string_equal(a->endpoint, b->endpoint);
    assert_memory_equal(a->server_key, b->server_key, VN_CURVE_KEY_LEN);
    assert_memory_equal(a->secret, b->secret, VN_INVITE_SECRET_LEN);
}

static void test_round_trip(void **state)
{
    char ep[VN_ENDPOINT_MAX + 1];
    /* Endpoint lengths 1 .. VN_ENDPOINT_MAX, each a different residue mod 3. */
    for (size_t len = 1; len <= VN_ENDPOINT_MAX; len++) {
        memset(ep, 'a' + (int)(len % 26), len);
        ep[len] = '\0';
        vn_invite in = sample(ep), out;
        char text[VN_INVITE_TEXT_MAX];
        assert_int_equal(vn_invite_encode(&in, text, sizeof text), VN_OK);
        assert_memory_equal(text, "vn1-", 4);
        assert_true(strlen(text) < VN_INVITE_TEXT_MAX);
        memset(&out, 0x33, sizeof out);
        assert_int_equal(vn_invite_decode(text, &out), VN_OK);
        assert_same_invite(&in, &out);
    }
    /* Real endpoints, and random keys. */
    static const char *const real[] = {"tcp://127.0.0.1:7700", "tcp://[::1]:7700",
                                       "tcp://vangnet.example.org:443", "ipc:///run/vangnet.sock"};
    for (size_t i = 0; i < NELEM(real); i++) {
        vn_invite in = sample(real[i]), out;
        char text[VN_INVITE_TEXT_MAX];
        assert_int_equal(vn_rand_bytes(in.server_key, sizeof in.server_key), VN_OK);
        assert_int_equal(vn_rand_bytes(in.secret, sizeof in.secret), VN_OK);
        assert_int_equal(vn_invite_encode(&in, text, sizeof text), VN_OK);
        assert_int_equal(vn_invite_decode(text, &out), VN_OK);
        assert_same_invite(&in, &out);
    }
}

/* The layout of the header: "vn1-" + base64url of [len][endpoint][key][secret]. */
static void test_layout(void **state)
{
    vn_invite in = sample("tcp://h:1");
    char text[VN_INVITE_TEXT_MAX];
    uint8_t raw[300];
    size_t n = 0;
    assert_int_equal(vn_invite_encode(&in, text, sizeof text), VN_OK);
    assert_int_equal(vn_b64url_decode(text + 4, raw, sizeof raw, &n), VN_OK);
    assert_int_equal(n, 1 + 9 + 32 + 32);
    assert_int_equal(raw[0], 9);
    assert_memory_equal(raw + 1, "tcp://h:1", 9);
    assert_memory_equal(raw + 10, in.server_key, 32);
    assert_memory_equal(raw + 42, in.secret, 32);
}

static void test_encode_limits(void **state)
{
    char text[VN_INVITE_TEXT_MAX];
    vn_invite inv = sample("");
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_EINVAL);
    /* An endpoint filling the whole array, without a terminator. */
    memset(inv.endpoint, 'x', sizeof inv.endpoint);
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_EINVAL);
    inv.endpoint[VN_ENDPOINT_MAX] = '\0';
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_OK);

    /* Output space: exactly enough works, one byte less does not. */
    inv = sample("tcp://127.0.0.1:7700");
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_OK);
    size_t need = strlen(text) + 1;
    char exact[VN_INVITE_TEXT_MAX];
    assert_int_equal(vn_invite_encode(&inv, exact, need), VN_OK);
    assert_string_equal(exact, text);
    assert_int_equal(vn_invite_encode(&inv, exact, need - 1), VN_ETOOBIG);
    assert_int_equal(vn_invite_encode(&inv, exact, 5), VN_ETOOBIG);
    assert_int_equal(vn_invite_encode(&inv, exact, 4), VN_ETOOBIG);
    assert_int_equal(vn_invite_encode(&inv, exact, 0), VN_ETOOBIG);
}

static void expect_bad(const char *text, const char *why)
{
    vn_invite out;
    memset(&out, 0x5a, sizeof out);
    if (vn_invite_decode(text, &out) != VN_EINVITE_BAD) fail_msg("%s was accepted", why);
    /* Nothing is written on failure. */
    for (size_t i = 0; i < sizeof out; i++)
        if (((uint8_t *)&out)[i] != 0x5a) fail_msg("%s: output written on failure", why);
}

/* Encodes raw bytes as an invite text, whatever they hold. */
static void raw_text(const uint8_t *raw, size_t n, char *text, size_t size)
{
    memcpy(text, "vn1-", 4);
    assert_int_equal(vn_b64url_encode(raw, n, text + 4, size - 4), VN_OK);
}

static void test_corrupted(void **state)
{
    vn_invite in = sample("tcp://127.0.0.1:7700");
    char good[VN_INVITE_TEXT_MAX], text[2 * VN_INVITE_TEXT_MAX];
    assert_int_equal(vn_invite_encode(&in, good, sizeof good), VN_OK);
    size_t len = strlen(good);

    expect_bad("", "an empty code");
    expect_bad("vn1-", "the prefix alone");
    expect_bad("vn1", "a short prefix");
    expect_bad(good + 4, "a code without its prefix");
    snprintf(text, sizeof text, "vn2-%s", good + 4);
    expect_bad(text, "another version prefix");
    snprintf(text, sizeof text, "VN1-%s", good + 4);
    expect_bad(text, "an upper-case prefix");
    snprintf(text, sizeof text, " %s", good);
    expect_bad(text, "a leading space");
    snprintf(text, sizeof text, "%s ", good);
    expect_bad(text, "a trailing space");
    snprintf(text, sizeof text, "%s\n", good);
    expect_bad(text, "a trailing newline");
    snprintf(text, sizeof text, "%s=", good);
    expect_bad(text, "base64 padding");
    assert_int_equal(vn_invite_decode(NULL, &in), VN_EINVITE_BAD);

    /* Every truncation and every extension by one to three characters. */
    for (size_t cut = 1; cut < len - 4; cut++) {
        memcpy(text, good, len - cut);
        text[len - cut] = '\0';
        expect_bad(text, "a truncated code");
    }
    for (size_t add = 1; add <= 3; add++) {
        snprintf(text, sizeof text, "%s%.*s", good, (int)add, "AAA");
        expect_bad(text, "an extended code");
    }
    /* A character outside the alphabet at every position after the prefix. */
    for (size_t i = 4; i < len; i++) {
        static const char swap[] = {'+', '/', '.', '~', ' ', '\x80'};
        for (size_t s = 0; s < sizeof swap; s++) {
            memcpy(text, good, len + 1);
            text[i] = swap[s];
            expect_bad(text, "a code with a character outside base64url");
        }
    }

    /* Raw layouts that encode cleanly but are inconsistent. */
    uint8_t raw[1 + VN_ENDPOINT_MAX + 64 + 8];
    size_t elen = strlen(in.endpoint);
    raw[0] = (uint8_t)elen;
    memcpy(raw + 1, in.endpoint, elen);
    memset(raw + 1 + elen, 0x42, 64);
    size_t n = 1 + elen + 64;
    raw_text(raw, n, text, sizeof text);
    vn_invite out;
    assert_int_equal(vn_invite_decode(text, &out), VN_OK); /* the baseline is valid */
    raw_text(raw, n - 1, text, sizeof text);
    expect_bad(text, "a secret one byte short");
    raw_text(raw, n + 1, text, sizeof text);
    expect_bad(text, "a secret one byte long");
    raw[0] = (uint8_t)(elen + 1);
    raw_text(raw, n, text, sizeof text);
    expect_bad(text, "a length byte one too high");
    raw[0] = (uint8_t)(elen - 1);
    raw_text(raw, n, text, sizeof text);
    expect_bad(text, "a length byte one too low");
    raw[0] = 0;
    raw_text(raw, n, text, sizeof text);
    expect_bad(text, "a zero length byte");
    raw[0] = 0xff;
    raw_text(raw, n, text, sizeof text);
    expect_bad(text, "a length byte of 255");
    raw[0] = (uint8_t)elen;
    raw_text(raw, 1, text, sizeof text);
    expect_bad(text, "a length byte alone");
    /* Endpoints with a space, a control character, DEL, a high byte, NUL. */
    static const uint8_t unprintable[] = {' ', '\t', '\n', 0x7f, 0x80, 0xff, 0x00};
    for (size_t i = 0; i < sizeof unprintable; i++) {
        raw[1 + 5] = unprintable[i];
        raw_text(raw, n, text, sizeof text);
        expect_bad(text, "an endpoint with an unprintable byte");
    }
    raw[1 + 5] = (uint8_t)in.endpoint[5];

    /* The longest valid code decodes; text at the size limit does not. */
    vn_invite longest = sample("x");
    memset(longest.endpoint, 'e', VN_ENDPOINT_MAX);
    longest.endpoint[VN_ENDPOINT_MAX] = '\0';
    assert_int_equal(vn_invite_encode(&longest, good, sizeof good), VN_OK);
    assert_int_equal(vn_invite_decode(good, &out), VN_OK);
    memset(text, 'A', VN_INVITE_TEXT_MAX - 1);
    memcpy(text, "vn1-", 4);
    text[VN_INVITE_TEXT_MAX - 1] = '\0';
    expect_bad(text, "a code of VN_INVITE_TEXT_MAX - 1 characters");
    memset(text, 'A', sizeof text - 1);
    memcpy(text, "vn1-", 4);
    text[sizeof text - 1] = '\0';
    expect_bad(text, "a code of twice the limit");
}

/* The encoder refuses what the decoder refuses (spaces, control characters). */
static void test_encode_refuses_what_decode_refuses(void **state)
{
    char text[VN_INVITE_TEXT_MAX];
    vn_invite inv = sample("tcp://host name:7700");
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_EINVAL);
    inv = sample("tcp://host\t:7700");
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_EINVAL);
}

/* Which addresses no client can connect to, and which endpoints are well formed. */
static void test_endpoint_checks(void **state)
{
    (void)state;
    static const char *const wild[] = {"tcp://0.0.0.0:7700", "tcp://*:7700",
                                       "tcp://[::]:7700",    "tcp://:::7700",
                                       "tcp://[0::0]:1",     "tcp://[0:0:0:0:0:0:0:0]:9",
                                       "tcp://:7700",        "0.0.0.0:7700"};
    static const char *const real[] = {"tcp://127.0.0.1:7700", "tcp://[::1]:7700",
                                       "tcp://vangnet.example.org:443", "tcp://10.0.0.1:7700",
                                       "tcp://0.0.0.1:7700"};
    for (size_t i = 0; i < NELEM(wild); i++)
        assert_true(vn_invite_endpoint_wildcard(wild[i]));
    for (size_t i = 0; i < NELEM(real); i++) {
        assert_false(vn_invite_endpoint_wildcard(real[i]));
        assert_true(vn_invite_endpoint_ok(real[i]));
    }
    static const char *const bad[] = {"127.0.0.1:7700",   "tcp://host",     "tcp://host:0",
                                      "tcp://host:65536", "tcp://host:77a", "tcp://ho st:1",
                                      "tcp://:1",         "udp://host:1"};
    for (size_t i = 0; i < NELEM(bad); i++)
        assert_false(vn_invite_endpoint_ok(bad[i]));
}

/* ---- vn2: several endpoints ---------------------------------------- */

static vn_invite sample_list(size_t count, size_t len)
{
    vn_invite inv = sample("");
    inv.endpoints.n = count;
    for (size_t k = 0; k < count; k++) {
        memset(inv.endpoints.ep[k], 'a' + (int)k, len);
        memcpy(inv.endpoints.ep[k], "tcp://", len < 6 ? len : 6);
        inv.endpoints.ep[k][len] = '\0';
    }
    return inv;
}

static void assert_same_list(const vn_invite *a, const vn_invite *b)
{
    assert_int_equal(a->endpoints.n, b->endpoints.n);
    for (size_t k = 0; k < a->endpoints.n; k++)
        assert_string_equal(a->endpoints.ep[k], b->endpoints.ep[k]);
    assert_string_equal(b->endpoint, b->endpoints.ep[0]);
    assert_memory_equal(a->server_key, b->server_key, VN_CURVE_KEY_LEN);
    assert_memory_equal(a->secret, b->secret, VN_INVITE_SECRET_LEN);
}

static void test_list_round_trip(void **state)
{
    (void)state;
    char text[VN_INVITE_TEXT_MAX];
    for (size_t count = 1; count <= VN_INVITE_ENDPOINTS_MAX; count++) {
        for (size_t len = 1; len <= VN_ENDPOINT_MAX; len += (len < 8 ? 1 : 37)) {
            vn_invite in = sample_list(count, len), out;
            assert_int_equal(vn_invite_encode(&in, text, sizeof text), VN_OK);
            /* One endpoint stays vn1, which clients of before the list take. */
            assert_memory_equal(text, count == 1 ? "vn1-" : "vn2-", 4);
            assert_int_equal(vn_invite_decode(text, &out), VN_OK);
            assert_same_list(&in, &out);
        }
    }
    /* The longest code of all fits the text limit. */
    vn_invite in = sample_list(VN_INVITE_ENDPOINTS_MAX, VN_ENDPOINT_MAX), out;
    assert_int_equal(vn_invite_encode(&in, text, sizeof text), VN_OK);
    assert_true(strlen(text) < VN_INVITE_TEXT_MAX);
    assert_int_equal(vn_invite_decode(text, &out), VN_OK);
    assert_same_list(&in, &out);
    /* An old code decodes into a list of one. */
    vn_invite old = sample("tcp://127.0.0.1:7700");
    assert_int_equal(vn_invite_encode(&old, text, sizeof text), VN_OK);
    assert_int_equal(vn_invite_decode(text, &out), VN_OK);
    assert_int_equal(out.endpoints.n, 1);
    assert_string_equal(out.endpoints.ep[0], "tcp://127.0.0.1:7700");
    assert_string_equal(out.endpoint, "tcp://127.0.0.1:7700");
}

/* "vn2-" + base64url of [count][len ep]...[key][secret]. */
static void test_list_layout(void **state)
{
    (void)state;
    vn_invite in = sample("");
    char text[VN_INVITE_TEXT_MAX];
    uint8_t raw[300];
    size_t n = 0;
    in.endpoints.n = 2;
    strcpy(in.endpoints.ep[0], "tcp://a:1");
    strcpy(in.endpoints.ep[1], "tcp://bb:2");
    assert_int_equal(vn_invite_encode(&in, text, sizeof text), VN_OK);
    assert_int_equal(vn_b64url_decode(text + 4, raw, sizeof raw, &n), VN_OK);
    assert_int_equal(n, 1 + 1 + 9 + 1 + 10 + 64);
    assert_int_equal(raw[0], 2);
    assert_int_equal(raw[1], 9);
    assert_memory_equal(raw + 2, "tcp://a:1", 9);
    assert_int_equal(raw[11], 10);
    assert_memory_equal(raw + 12, "tcp://bb:2", 10);
    assert_memory_equal(raw + 22, in.server_key, 32);
    assert_memory_equal(raw + 54, in.secret, 32);
}

static void test_list_encode_refuses(void **state)
{
    (void)state;
    char text[VN_INVITE_TEXT_MAX];
    vn_invite inv = sample_list(VN_INVITE_ENDPOINTS_MAX, 20);
    inv.endpoints.n = VN_INVITE_ENDPOINTS_MAX + 1;
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_EINVAL);
    inv = sample_list(3, 20);
    inv.endpoints.ep[2][0] = '\0';
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_EINVAL);
    inv = sample_list(3, 20);
    memset(inv.endpoints.ep[1], 'x', sizeof inv.endpoints.ep[1]); /* no terminator */
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_EINVAL);
    inv = sample_list(2, 20);
    inv.endpoints.ep[1][8] = ',';
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_EINVAL);
    inv = sample_list(2, 20);
    inv.endpoints.ep[0][8] = ' ';
    assert_int_equal(vn_invite_encode(&inv, text, sizeof text), VN_EINVAL);
}

static void v2_text(const uint8_t *raw, size_t n, char *text, size_t size)
{
    memcpy(text, "vn2-", 4);
    assert_int_equal(vn_b64url_encode(raw, n, text + 4, size - 4), VN_OK);
}

/* Builds [count][len ep]*[64 bytes] for count endpoints of length len. */
static size_t v2_raw(uint8_t *raw, size_t count_byte, size_t count, size_t len)
{
    size_t n = 0;
    raw[n++] = (uint8_t)count_byte;
    for (size_t k = 0; k < count; k++) {
        raw[n++] = (uint8_t)len;
        memset(raw + n, 'a' + (int)k, len);
        n += len;
    }
    memset(raw + n, 0x42, 64);
    return n + 64;
}

static void test_list_garbage(void **state)
{
    (void)state;
    static uint8_t raw[2048];
    char text[4 * VN_INVITE_TEXT_MAX];
    vn_invite out;
    size_t n = v2_raw(raw, 3, 3, 30);
    v2_text(raw, n, text, sizeof text);
    assert_int_equal(vn_invite_decode(text, &out), VN_OK); /* the baseline is valid */
    assert_int_equal(out.endpoints.n, 3);

    n = v2_raw(raw, 0, 0, 0);
    v2_text(raw, n, text, sizeof text);
    expect_bad(text, "a vn2 code of no endpoint");
    n = v2_raw(raw, 1, 1, 30);
    v2_text(raw, n, text, sizeof text);
    expect_bad(text, "a vn2 code of one endpoint (always written as vn1)");
    n = v2_raw(raw, 5, 5, 30);
    v2_text(raw, n, text, sizeof text);
    expect_bad(text, "five endpoints");
    n = v2_raw(raw, 255, 4, 30);
    v2_text(raw, n, text, sizeof text);
    expect_bad(text, "a count of 255");
    n = v2_raw(raw, 4, 3, 30);
    v2_text(raw, n, text, sizeof text);
    expect_bad(text, "a count one higher than the endpoints");
    n = v2_raw(raw, 2, 3, 30);
    v2_text(raw, n, text, sizeof text);
    expect_bad(text, "a count one lower than the endpoints");
    n = v2_raw(raw, 2, 2, VN_ENDPOINT_MAX + 1);
    v2_text(raw, n, text, sizeof text);
    expect_bad(text, "an endpoint of 201 bytes");
    n = v2_raw(raw, 2, 2, 255);
    v2_text(raw, n, text, sizeof text);
    expect_bad(text, "endpoints of 255 bytes (a code over the text limit)");
    n = v2_raw(raw, 2, 2, 30);
    raw[1 + 1 + 30] = 0; /* the second endpoint's length */
    v2_text(raw, n, text, sizeof text);
    expect_bad(text, "an empty second endpoint");
    n = v2_raw(raw, 2, 2, 30);
    raw[1] = 200; /* a length running into the keys and past the end */
    v2_text(raw, n, text, sizeof text);
    expect_bad(text, "a length running past the end");
    static const uint8_t unprintable[] = {' ', ',', '\t', 0x7f, 0x80, 0x00};
    for (size_t i = 0; i < sizeof unprintable; i++) {
        n = v2_raw(raw, 2, 2, 30);
        raw[1 + 1 + 30 + 1 + 7] = unprintable[i];
        v2_text(raw, n, text, sizeof text);
        expect_bad(text, "a second endpoint with a space, a comma or an unprintable byte");
    }
    /* Every truncation and a few extensions of a valid vn2 code. */
    n = v2_raw(raw, 3, 3, 30);
    for (size_t cut = 1; cut < n; cut++) {
        v2_text(raw, n - cut, text, sizeof text);
        expect_bad(text, "a truncated vn2 code");
    }
    for (size_t add = 1; add <= 3; add++) {
        v2_text(raw, n + add, text, sizeof text);
        expect_bad(text, "an extended vn2 code");
    }
    expect_bad("vn2-", "the vn2 prefix alone");
    expect_bad("vn3-AAAA", "an unknown version");
}

static void test_endpoints_parse(void **state)
{
    (void)state;
    vn_endpoints eps = {0};
    char why[256], text[VN_ENDPOINTS_TEXT_MAX];
    assert_int_equal(vn_invite_endpoints_parse("tcp://a:1", &eps, why, sizeof why), VN_OK);
    assert_int_equal(eps.n, 1);
    assert_int_equal(
        vn_invite_endpoints_parse("tcp://b:2, tcp://a:1 ,tcp://c:3", &eps, why, sizeof why), VN_OK);
    assert_int_equal(eps.n, 3); /* the repeated one once */
    assert_string_equal(eps.ep[1], "tcp://b:2");
    assert_string_equal(eps.ep[2], "tcp://c:3");
    assert_int_equal(vn_invite_endpoints_find(&eps, "tcp://c:3"), 2);
    assert_int_equal(vn_invite_endpoints_find(&eps, "tcp://d:4"), -1);
    assert_int_equal(vn_invite_endpoints_join(&eps, text, sizeof text), VN_OK);
    assert_string_equal(text, "tcp://a:1,tcp://b:2,tcp://c:3");
    assert_int_equal(vn_invite_endpoints_join(&eps, text, strlen(text)), VN_ETOOBIG);
    assert_int_equal(vn_invite_endpoints_parse("tcp://d:4,tcp://e:5", &eps, why, sizeof why),
                     VN_EINVAL);
    assert_non_null(strstr(why, "more than 4"));
    vn_endpoints e2 = {0};
    assert_int_equal(vn_invite_endpoints_parse("tcp://a:1,,tcp://b:2", &e2, why, sizeof why),
                     VN_EINVAL);
    assert_non_null(strstr(why, "empty"));
    memset(&e2, 0, sizeof e2);
    assert_int_equal(vn_invite_endpoints_parse("", &e2, why, sizeof why), VN_EINVAL);
    char longer[VN_ENDPOINT_MAX + 10];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(vn_invite_endpoints_parse(longer, &e2, why, sizeof why), VN_EINVAL);
    assert_non_null(strstr(why, "longer than 200"));
    assert_int_equal(vn_invite_endpoints_parse("tcp://a\t:1", &e2, NULL, 0), VN_EINVAL);
    assert_false(vn_invite_endpoint_ok("tcp://a,b:1"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_endpoint_checks),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_encode_limits),
        cmocka_unit_test(test_corrupted),
        cmocka_unit_test(test_encode_refuses_what_decode_refuses),
        cmocka_unit_test(test_list_round_trip),
        cmocka_unit_test(test_list_layout),
        cmocka_unit_test(test_list_encode_refuses),
        cmocka_unit_test(test_list_garbage),
        cmocka_unit_test(test_endpoints_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
