/* vn_day: calendar days as integers (days since 1970-01-01 of a local
 * calendar date), the unit of every schedule computation. */
#ifndef VN_DAY_H
#define VN_DAY_H

#include <stdint.h>

#include "vn/err.h"

/* Civil date helpers, proleptic Gregorian, exact for years -10^6..10^6.
 * m is 1..12 and d is 1..31. */
int32_t vn_day_from_civil(int y, int m, int d);
void vn_day_to_civil(int32_t day, int *y, int *m, int *d);
/* Days in month m (1..12) of year y. */
int vn_day_month_len(int y, int m);
/* The same day of the month `months` later (or earlier, when negative),
 * clamped to the end of a shorter month: Jan 31 + 1 month = Feb 28 or 29. */
int32_t vn_day_add_months(int32_t day, int months);

/* Local calendar day of ms since the epoch, in the process time zone
 * (TZ); *minute (may be NULL) gets the minute of that day. */
int32_t vn_day_local(uint64_t ms, int *minute);
/* ms rounded down to the start of its UTC day: the precision the store
 * keeps of times whose rules count days (retention), so that no stored
 * time matches an event to the millisecond. */
uint64_t vn_day_floor_ms(uint64_t ms);
/* "YYYY-MM-DD" <-> day. Parse returns VN_EINVAL for anything else. */
void vn_day_format(int32_t day, char out[11]);
vn_err vn_day_parse(const char *s, int32_t *day);

#endif
