/* vn_array: growth, the hard maximum, and that a refusal leaves the array
 * as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "vn/array.h"

static void grows_and_keeps_contents(void **state)
{
    int *a = NULL;
    size_t cap = 0;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(vn_array_reserve(&a, &cap, (size_t)i + 1, sizeof *a, 1000), VN_OK);
        assert_true(cap >= (size_t)i + 1 && cap <= 1000);
        a[i] = i;
    }
    for (int i = 0; i < 1000; i++)
        assert_int_equal(a[i], i);
    free(a);
}

static void refuses_past_max_and_leaves_array(void **state)
{
    long *a = NULL;
    size_t cap = 0;
    assert_int_equal(vn_array_reserve(&a, &cap, 10, sizeof *a, 10), VN_OK);
    assert_int_equal(cap, 10);
    long *before = a;
    assert_int_equal(vn_array_reserve(&a, &cap, 11, sizeof *a, 10), VN_ETOOBIG);
    assert_ptr_equal(a, before);
    assert_int_equal(cap, 10);
    assert_int_equal(vn_array_reserve(&a, &cap, 5, sizeof *a, 10), VN_OK); /* no-op */
    assert_ptr_equal(a, before);
    free(a);
}

static void refuses_overflowing_sizes(void **state)
{
    char *a = NULL;
    size_t cap = 0;
    assert_int_equal(vn_array_reserve(&a, &cap, 2, SIZE_MAX / 2, SIZE_MAX), VN_ETOOBIG);
    assert_int_equal(vn_array_reserve(&a, &cap, 1, 0, 10), VN_ETOOBIG);
    assert_null(a);
    assert_int_equal(cap, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_and_keeps_contents),
        cmocka_unit_test(refuses_past_max_and_leaves_array),
        cmocka_unit_test(refuses_overflowing_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
