#ifndef VN_BENCH_SCHEDULE_SERVER_H
#define VN_BENCH_SCHEDULE_SERVER_H

#include <stddef.h>

/* bench_schedule --vangnetd (schedule_server.c): n cases begun `days` ago,
 * scheduled by the real server while a client pings it. 0 if every case
 * was scheduled. */
int bench_schedule_server(const char *vangnetd, size_t n, int days, const char *tmpdir);

#endif
