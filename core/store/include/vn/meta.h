/* vn_meta: the store's own small values: whether its clock may be moved
 * for tests, and the test clock's offset. (The message sequence number is
 * kept here too, but only the store's modules take it.) */
#ifndef VN_META_H
#define VN_META_H

#include <stdbool.h>
#include <stdint.h>

#include "vn/err.h"
#include "vn/sstore.h"

/* Whether the server that last ran on this store had --test-clock (so
 * `vangnetd clock` may move its time). */
bool vn_meta_test_clock(vn_sstore *st);
/* Records whether the server runs with --test-clock. */
vn_err vn_meta_set_test_clock(vn_sstore *st, bool on);
/* The test clock's offset from real time; 0 if never set. */
vn_err vn_meta_clock_offset(vn_sstore *st, uint64_t *offset_ms);
vn_err vn_meta_set_clock_offset(vn_sstore *st, uint64_t offset_ms);

#endif
