/* vn_array: growth of a caller-owned array, with a hard maximum, so no
 * list built from untrusted input can grow without bound (and no caller
 * writes its own realloc doubling). */
#ifndef VN_ARRAY_H
#define VN_ARRAY_H

#include <stddef.h>

#include "vn/err.h"

/* Makes room for at least `need` elements of elem_size bytes in the array
 * *items_p (a T ** cast to void *; NULL to start) of *cap elements,
 * doubling from 8. Never grows past max elements: VN_ETOOBIG when need >
 * max, VN_ENOMEM when the allocation fails; *items_p and *cap are then
 * unchanged and still owned by the caller. */
vn_err vn_array_reserve(void *items_p, size_t *cap, size_t need, size_t elem_size, size_t max);

#endif
