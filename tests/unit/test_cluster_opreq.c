/* Unit tests of server/cluster_opreq.c (compiled into this test directly):
 * an operator's request sealed under one store key opens under it, with
 * its time, nonce and write-set, and under no other key, subject or reply
 * inbox, nor with any byte changed; another version is told apart from a
 * wrong MAC; the replay window's bounds; answers as requests; the
 * writer's memory of nonces forgets only the oldest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "cluster_opreq.h"

#define T0 1800000000000ULL

static const uint8_t WS[] = {1, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
static const char *REPLY = "_INBOX.abc";

static void keys(vn_opreq_keys *k, uint8_t fill)
{
    uint8_t store_key[32];
    memset(store_key, fill, sizeof store_key);
    vn_opreq_keys_derive(store_key, k);
}

static size_t sealed(const vn_opreq_keys *k, uint8_t *out, uint64_t t, uint8_t nonce_fill)
{
    uint8_t nonce[VN_OPREQ_NONCE_LEN];
    memset(nonce, nonce_fill, sizeof nonce);
    vn_opreq_seal(k, k->subject, REPLY, t, nonce, WS, sizeof WS, out);
    return VN_OPREQ_HEAD + sizeof WS;
}

static void test_keys(void **state)
{
    (void)state;
    vn_opreq_keys a, a2, b;
    keys(&a, 1);
    keys(&a2, 1);
    keys(&b, 2);
    assert_memory_equal(a.mac, a2.mac, sizeof a.mac);
    assert_string_equal(a.subject, a2.subject);
    assert_string_not_equal(a.subject, b.subject);
    assert_memory_not_equal(a.mac, b.mac, sizeof a.mac);
    assert_int_equal(strncmp(a.subject, "vn.op.", 6), 0);
    assert_int_equal(strlen(a.subject), 6 + 32);
}

static void test_round_trip(void **state)
{
    (void)state;
    vn_opreq_keys k;
    uint8_t buf[VN_OPREQ_HEAD + sizeof WS], nonce[VN_OPREQ_NONCE_LEN];
    vn_opreq req;
    keys(&k, 1);
    memset(nonce, 0x5A, sizeof nonce);
    size_t n = sealed(&k, buf, T0, 0x5A);
    assert_int_equal(vn_opreq_open(&k, k.subject, REPLY, buf, n, &req), VN_OK);
    assert_int_equal(req.time_ms, T0);
    assert_memory_equal(req.nonce, nonce, sizeof nonce);
    assert_int_equal(req.len, sizeof WS);
    assert_memory_equal(req.ws, WS, sizeof WS);
}

static void test_refused(void **state)
{
    (void)state;
    vn_opreq_keys k, other;
    uint8_t buf[VN_OPREQ_HEAD + sizeof WS];
    vn_opreq req;
    keys(&k, 1);
    keys(&other, 2);
    size_t n = sealed(&k, buf, T0, 0x5A);
    /* Another store key; the same subject, another reply inbox. */
    assert_int_equal(vn_opreq_open(&other, k.subject, REPLY, buf, n, &req), VN_EDENIED);
    assert_int_equal(vn_opreq_open(&k, k.subject, "_INBOX.abd", buf, n, &req), VN_EDENIED);
    assert_int_equal(vn_opreq_open(&k, other.subject, REPLY, buf, n, &req), VN_EDENIED);
    /* Any byte changed (the version's byte is another answer). */
    for (size_t i = 1; i < n; i++) {
        buf[i] ^= 0x01;
        assert_int_equal(vn_opreq_open(&k, k.subject, REPLY, buf, n, &req), VN_EDENIED);
        buf[i] ^= 0x01;
    }
    /* Truncated write-set, or none at all. */
    assert_int_equal(vn_opreq_open(&k, k.subject, REPLY, buf, n - 1, &req), VN_EDENIED);
    assert_int_equal(vn_opreq_open(&k, k.subject, REPLY, buf, VN_OPREQ_HEAD, &req), VN_EPROTO);
    assert_int_equal(vn_opreq_open(&k, k.subject, REPLY, NULL, 0, &req), VN_EPROTO);
    /* Version 1 (made without recording its nonce): another version. */
    buf[0] = 1;
    assert_int_equal(vn_opreq_open(&k, k.subject, REPLY, buf, n, &req), VN_EPROTO);
    buf[0] = VN_OPREQ_VERSION;
    assert_int_equal(vn_opreq_open(&k, k.subject, REPLY, buf, n, &req), VN_OK);
}

static void test_window(void **state)
{
    (void)state;
    const uint64_t w = VN_OPREQ_SKEW_MS;
    assert_true(vn_opreq_in_window(T0, T0));
    assert_true(vn_opreq_in_window(T0 - w, T0));
    assert_false(vn_opreq_in_window(T0 - w - 1, T0));
    assert_true(vn_opreq_in_window(T0 + w, T0));
    assert_false(vn_opreq_in_window(T0 + w + 1, T0));
    /* No wrap near zero or at the top. */
    assert_true(vn_opreq_in_window(0, 1000));
    assert_false(vn_opreq_in_window(UINT64_MAX - 5, T0));
}

static void test_answer(void **state)
{
    (void)state;
    vn_opreq_keys k, other;
    uint8_t buf[VN_OPREQ_ANS_HEAD + VN_OPREQ_TEXT_MAX];
    char longtext[400];
    const char *text = NULL;
    size_t tlen = 0;
    uint64_t seq = 0;
    int status = -1;
    keys(&k, 1);
    keys(&other, 2);
    size_t n = vn_opreq_answer(&k, REPLY, VN_OPREQ_OK, 42, NULL, buf);
    assert_int_equal(n, VN_OPREQ_ANS_HEAD);
    assert_int_equal(vn_opreq_read_answer(&k, REPLY, buf, n, &status, &seq, &text, &tlen), VN_OK);
    assert_int_equal(status, VN_OPREQ_OK);
    assert_int_equal(seq, 42);
    assert_int_equal(tlen, 0);
    assert_int_equal(vn_opreq_read_answer(&other, REPLY, buf, n, &status, &seq, &text, &tlen),
                     VN_EPROTO);
    assert_int_equal(vn_opreq_read_answer(&k, "_INBOX.x", buf, n, &status, &seq, &text, &tlen),
                     VN_EPROTO);
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    n = vn_opreq_answer(&k, REPLY, VN_OPREQ_REFUSED, 0, longtext, buf);
    assert_int_equal(n, VN_OPREQ_ANS_HEAD + VN_OPREQ_TEXT_MAX);
    assert_int_equal(vn_opreq_read_answer(&k, REPLY, buf, n, &status, &seq, &text, &tlen), VN_OK);
    assert_int_equal(status, VN_OPREQ_REFUSED);
    assert_int_equal(tlen, VN_OPREQ_TEXT_MAX);
    assert_memory_equal(text, longtext, tlen);
    buf[1] = 2; /* no such status */
    assert_int_equal(vn_opreq_read_answer(&k, REPLY, buf, n, &status, &seq, &text, &tlen),
                     VN_EPROTO);
    assert_int_equal(vn_opreq_read_answer(&k, REPLY, buf, 5, &status, &seq, &text, &tlen),
                     VN_EPROTO);
}

static void test_seen(void **state)
{
    (void)state;
    vn_opreq_seen *s = calloc(1, sizeof *s);
    uint8_t nonce[VN_OPREQ_NONCE_LEN] = {0};
    assert_non_null(s);
    assert_false(vn_opreq_seen_has(s, nonce)); /* empty: not even all zeros */
    for (uint32_t i = 0; i <= VN_OPREQ_SEEN_MAX; i++) {
        memcpy(nonce, &i, sizeof i);
        vn_opreq_seen_add(s, nonce);
    }
    /* The oldest (0) is forgotten, the other VN_OPREQ_SEEN_MAX are not. */
    uint32_t i = 0;
    memcpy(nonce, &i, sizeof i);
    assert_false(vn_opreq_seen_has(s, nonce));
    for (i = 1; i <= VN_OPREQ_SEEN_MAX; i++) {
        memcpy(nonce, &i, sizeof i);
        assert_true(vn_opreq_seen_has(s, nonce));
    }
    i = VN_OPREQ_SEEN_MAX + 1;
    memcpy(nonce, &i, sizeof i);
    assert_false(vn_opreq_seen_has(s, nonce));
    free(s);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),    cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refused), cmocka_unit_test(test_window),
        cmocka_unit_test(test_answer),  cmocka_unit_test(test_seen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
