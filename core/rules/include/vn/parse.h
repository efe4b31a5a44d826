/* vn_parse: numbers and durations from text a person typed. */
#ifndef VN_PARSE_H
#define VN_PARSE_H

#include <stdint.h>

#include "vn/err.h"

/* Parses a decimal unsigned integer in [min, max]; the whole string must be digits. */
vn_err vn_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Parses a duration such as "90s", "90m", "36h", "31d" into milliseconds. */
vn_err vn_parse_duration(const char *s, uint64_t *ms);

#endif
