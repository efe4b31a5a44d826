#include "vn/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

vn_err vn_array_reserve(void *items_p, size_t *cap, size_t need, size_t elem_size, size_t max)
{
    void *items;
    if (need <= *cap) return VN_OK;
    if (need > max || elem_size == 0 || max > SIZE_MAX / elem_size) return VN_ETOOBIG;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need)
        ncap = ncap > max / 2 ? max : ncap * 2;
    if (ncap > max) ncap = max;
    /* The caller's pointer is read and written through memcpy: it may be
     * any object pointer type. */
    memcpy(&items, items_p, sizeof items);
    void *n = realloc(items, ncap * elem_size);
    if (!n) return VN_ENOMEM;
    memcpy(items_p, &n, sizeof n);
    *cap = ncap;
    return VN_OK;
}
