/* Unit tests of the invite codec: round trips at every endpoint length
 * limit, the exact text layout, output-size limits, and corrupted codes
 * (wrong prefix, truncated, extended, bad characters, inconsistent length
 * byte, unprintable endpoints, oversize text) all named VN_EINVITE_BAD. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_endpoint_checks),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_encode_limits),
        cmocka_unit_test(test_corrupted),
        cmocka_unit_test(test_encode_refuses_what_decode_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
