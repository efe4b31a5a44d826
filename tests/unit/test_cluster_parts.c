/* Unit tests of server/cluster_parts.c (compiled into this test directly):
 * a write-set split over log entries is gathered whole only when every
 * part came in order and consecutively; a part that continues no group is
 * stray and drops what was pending; a new part 0 starts over; headers that
 * are not a part's are refused; a group past VN_KV_WS_MAX is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cluster_parts.h"
#include "vn/kv.h"

/* Part index of count, carrying text. */
static size_t part(uint8_t *out, uint32_t index, uint32_t count, const char *text)
{
    vn_parts_header(out, index, count);
    memcpy(out + VN_PARTS_HEAD, text, strlen(text));
    return VN_PARTS_HEAD + strlen(text);
}

static void test_whole(void **state)
{
    vn_parts g = {0};
    uint8_t e[64];
    vn_parts_took took;
    uint32_t i, n;
    size_t len = part(e, 0, 3, "abc");
    assert_true(vn_parts_parse(e, len, &i, &n));
    assert_int_equal(i, 0);
    assert_int_equal(n, 3);
    assert_int_equal(vn_parts_take(&g, 10, e, len, &took), VN_OK);
    assert_int_equal(took, VN_PARTS_MORE);
    len = part(e, 1, 3, "def");
    assert_int_equal(vn_parts_take(&g, 11, e, len, &took), VN_OK);
    assert_int_equal(took, VN_PARTS_MORE);
    len = part(e, 2, 3, "g");
    assert_int_equal(vn_parts_take(&g, 12, e, len, &took), VN_OK);
    assert_int_equal(took, VN_PARTS_WHOLE);
    assert_int_equal(g.len, 7);
    assert_memory_equal(g.buf, "abcdefg", 7);
    assert_int_equal(g.last_seq, 12);
    assert_true(vn_parts_drop(&g));
    assert_false(vn_parts_drop(&g));
    vn_parts_free(&g);
    (void)state;
}

static void test_broken_groups(void **state)
{
    vn_parts g = {0};
    uint8_t e[64];
    vn_parts_took took;
    /* A part 1 with nothing before it. */
    size_t len = part(e, 1, 2, "x");
    assert_int_equal(vn_parts_take(&g, 5, e, len, &took), VN_OK);
    assert_int_equal(took, VN_PARTS_STRAY);
    assert_int_equal(g.count, 0);
    /* A gap in the sequence: the group goes, the part is stray. */
    len = part(e, 0, 2, "a");
    assert_int_equal(vn_parts_take(&g, 6, e, len, &took), VN_OK);
    len = part(e, 1, 2, "b");
    assert_int_equal(vn_parts_take(&g, 8, e, len, &took), VN_OK);
    assert_int_equal(took, VN_PARTS_STRAY);
    assert_int_equal(g.count, 0);
    /* Another count than the group's. */
    len = part(e, 0, 2, "a");
    assert_int_equal(vn_parts_take(&g, 9, e, len, &took), VN_OK);
    len = part(e, 1, 3, "b");
    assert_int_equal(vn_parts_take(&g, 10, e, len, &took), VN_OK);
    assert_int_equal(took, VN_PARTS_STRAY);
    /* A new part 0 (a new writer's) starts over. */
    len = part(e, 0, 2, "old");
    assert_int_equal(vn_parts_take(&g, 11, e, len, &took), VN_OK);
    len = part(e, 0, 2, "n");
    assert_int_equal(vn_parts_take(&g, 12, e, len, &took), VN_OK);
    len = part(e, 1, 2, "ew");
    assert_int_equal(vn_parts_take(&g, 13, e, len, &took), VN_OK);
    assert_int_equal(took, VN_PARTS_WHOLE);
    assert_memory_equal(g.buf, "new", 3);
    assert_int_equal(g.len, 3);
    vn_parts_drop(&g);
    vn_parts_free(&g);
    (void)state;
}

static void test_not_parts(void **state)
{
    vn_parts g = {0};
    uint8_t e[64] = {0};
    vn_parts_took took;
    uint32_t i, n;
    const uint8_t ws[] = {VN_KV_WS_DEL, 0, 1, 0, 'k'}; /* a write-set: no part */
    assert_false(vn_parts_parse(ws, sizeof ws, &i, &n));
    assert_false(vn_parts_parse(e, 0, &i, &n)); /* a marker */
    size_t len = part(e, 0, 1, "x");            /* a group of one: not made */
    assert_false(vn_parts_parse(e, len, &i, &n));
    len = part(e, 2, 2, "x"); /* index past the count */
    assert_false(vn_parts_parse(e, len, &i, &n));
    assert_int_equal(vn_parts_take(&g, 1, e, len, &took), VN_EPROTO);
    e[1] = 2; /* another version */
    part(e, 0, 2, "x");
    e[1] = 2;
    assert_false(vn_parts_parse(e, len, &i, &n));
    vn_parts_free(&g);
    (void)state;
}

static void test_too_big(void **state)
{
    vn_parts g = {0};
    vn_parts_took took;
    size_t big = VN_KV_WS_MAX / 2 + 1;
    uint8_t *e = calloc(1, VN_PARTS_HEAD + big);
    assert_non_null(e);
    vn_parts_header(e, 0, 3);
    assert_int_equal(vn_parts_take(&g, 1, e, VN_PARTS_HEAD + big, &took), VN_OK);
    vn_parts_header(e, 1, 3);
    assert_int_equal(vn_parts_take(&g, 2, e, VN_PARTS_HEAD + big, &took), VN_ETOOBIG);
    assert_int_equal(g.count, 0);
    free(e);
    vn_parts_free(&g);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_broken_groups),
        cmocka_unit_test(test_not_parts),
        cmocka_unit_test(test_too_big),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
