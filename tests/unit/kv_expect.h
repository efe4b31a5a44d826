/* A check the vn_kv tests share: key k of table 0 reads as want. Include
 * cmocka.h and vn/kv.h first. */
#ifndef VN_TEST_KV_EXPECT_H
#define VN_TEST_KV_EXPECT_H

#include <stdlib.h>
#include <string.h>

/* Reads key k of db 0 and checks it is want (NULL: absent). */
static inline void kv_expect(vn_kv *kv, const char *k, const char *want)
{
    void *v = NULL;
    size_t n = 0;
    vn_err err = vn_kv_get(kv, 0, k, strlen(k), &v, &n);
    if (!want) {
        assert_int_equal(err, VN_ENOTFOUND);
        return;
    }
    assert_int_equal(err, VN_OK);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
    free(v);
}

#endif
