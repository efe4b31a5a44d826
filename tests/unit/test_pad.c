/* Unit tests of padding: the bucket of every payload length up to the
 * limit (the exact edges of each bucket, the largest body, overflow), round
 * trips, and every inconsistency decode must refuse: short input, a length
 * past the end, a body that is not its length's bucket, non-zero padding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vn/frame.h"
#include "vn/pad.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void test_bucket_edges(void **state)
{
    static const struct {
        size_t len, bucket;
    } edges[] = {
        {0, 256},
        {252, 256},
        {253, 512},
        {508, 512},
        {509, 1024},
        {1020, 1024},
        {1021, 2048},
        {2044, 2048},
        {2045, 4096},
        {4092, 4096},
        {4093, 8192},
        {8188, 8192},
        {8189, 12288},
        {61436, 61440},
        {61437, VN_BODY_MAX},
        {VN_BODY_MAX - 4, VN_BODY_MAX},
        {VN_BODY_MAX - 3, 0},
        {VN_BODY_MAX, 0},
        {SIZE_MAX, 0},
        {SIZE_MAX - 3, 0}, /* len + 4 wraps around */
    };
    for (size_t i = 0; i < NELEM(edges); i++)
        if (vn_pad_bucket(edges[i].len) != edges[i].bucket)
            fail_msg("bucket(%zu) = %zu, want %zu", edges[i].len, vn_pad_bucket(edges[i].len),
                     edges[i].bucket);
}

/* Every length: the bucket holds it, never shrinks as the length grows, and
 * is one of the 20 sizes the header names. */
static void test_bucket_every_length(void **state)
{
    size_t prev = 0, distinct = 0;
    for (size_t len = 0; len <= VN_BODY_MAX - 4; len++) {
        size_t b = vn_pad_bucket(len);
        assert_true(b >= len + 4);
        assert_true(b >= prev);
        assert_true(b <= VN_BODY_MAX);
        assert_true(b == 256 || b == 512 || b == 1024 || b == 2048 || b % 4096 == 0 ||
                    b == VN_BODY_MAX);
        distinct += b != prev;
        prev = b;
    }
    assert_int_equal(distinct, 4 + 15 + 1); /* 256..2048, 4..60 KiB, the limit */
}

static void test_round_trip(void **state)
{
    static const size_t lens[] = {0, 1, 100, 252, 253, 1000, 2045, 5000, VN_BODY_MAX - 4};
    for (size_t i = 0; i < NELEM(lens); i++) {
        uint8_t *in = malloc(lens[i] ? lens[i] : 1), *out = NULL;
        size_t outlen = 0, plen = 99;
        const uint8_t *payload = NULL;
        assert_non_null(in);
        for (size_t j = 0; j < lens[i]; j++)
            in[j] = (uint8_t)(j * 7 + 1); /* never all zero */
        assert_int_equal(vn_pad_encode(in, lens[i], &out, &outlen), VN_OK);
        assert_int_equal(outlen, vn_pad_bucket(lens[i]));
        /* 4-byte big-endian length, the payload, then zeros. */
        assert_int_equal((size_t)out[0] << 24 | (size_t)out[1] << 16 | (size_t)out[2] << 8 | out[3],
                         lens[i]);
        assert_memory_equal(out + 4, in, lens[i]);
        for (size_t j = 4 + lens[i]; j < outlen; j++)
            assert_int_equal(out[j], 0);
        assert_int_equal(vn_pad_decode(out, outlen, &payload, &plen), VN_OK);
        assert_ptr_equal(payload, out + 4); /* no copy */
        assert_int_equal(plen, lens[i]);
        free(out);
        free(in);
    }
    uint8_t one = 1, *out = (uint8_t *)&one;
    size_t outlen = 7;
    assert_int_equal(vn_pad_encode(&one, VN_BODY_MAX - 3, &out, &outlen), VN_ETOOBIG);
    assert_ptr_equal(out, &one); /* untouched */
    assert_int_equal(outlen, 7);
}

static void expect_bad(const uint8_t *in, size_t len, const char *why)
{
    const uint8_t *payload = NULL;
    size_t plen = 12345;
    if (vn_pad_decode(in, len, &payload, &plen) != VN_EPROTO) fail_msg("%s was accepted", why);
    assert_null(payload);
    assert_int_equal(plen, 12345);
}

static void test_decode_rejects(void **state)
{
    uint8_t body[VN_BODY_MAX + 8];
    memset(body, 0, sizeof body);
    for (size_t len = 0; len < 4; len++)
        expect_bad(body, len, "a body shorter than its length prefix");

    /* 10 bytes of payload padded to 256. */
    body[3] = 10;
    memset(body + 4, 0xaa, 10);
    const uint8_t *payload;
    size_t plen;
    assert_int_equal(vn_pad_decode(body, 256, &payload, &plen), VN_OK);
    expect_bad(body, 255, "a body one byte short of its bucket");
    expect_bad(body, 257, "a body one byte over its bucket");
    expect_bad(body, 512, "a body of the next bucket");
    expect_bad(body, 14, "an unpadded body");
    for (size_t i = 14; i < 256; i += 17) {
        body[i] = 1;
        expect_bad(body, 256, "non-zero padding");
        body[i] = 0;
    }
    body[255] = 0x80;
    expect_bad(body, 256, "non-zero last padding byte");
    body[255] = 0;

    /* Lengths that point past the end, or to another bucket. */
    body[2] = 1; /* 266 */
    expect_bad(body, 256, "a length past the end");
    body[2] = 0;
    body[3] = 253;
    expect_bad(body, 256, "a length whose bucket is 512");
    memset(body, 0xff, 4);
    expect_bad(body, 256, "length 0xffffffff");
    expect_bad(body, VN_BODY_MAX, "length 0xffffffff in a full body");
    /* A body larger than any bucket, even if consistent otherwise. */
    memset(body, 0, sizeof body);
    body[1] = (uint8_t)((VN_BODY_MAX - 4 + 1) >> 16);
    body[2] = (uint8_t)((VN_BODY_MAX - 4 + 1) >> 8);
    body[3] = (uint8_t)(VN_BODY_MAX - 4 + 1);
    expect_bad(body, VN_BODY_MAX + 1, "a body over the limit");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_edges),
        cmocka_unit_test(test_bucket_every_length),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_decode_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
