/* vn_wallclock: the time of day from the system clock. */
#ifndef VN_WALLCLOCK_H
#define VN_WALLCLOCK_H

#include <stdint.h>

/* Milliseconds since the epoch (CLOCK_REALTIME). The server asks its
 * vn_clock instead, which a test may move. */
uint64_t vn_wallclock_ms(void);

#endif
