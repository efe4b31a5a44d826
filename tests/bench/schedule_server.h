#ifndef VN_BENCH_SCHEDULE_SERVER_H
#define VN_BENCH_SCHEDULE_SERVER_H

#include <stddef.h>

/* bench_schedule --vangnetd (schedule_server.c): n cases begun `days` ago,
 * scheduled by the real server while a client pings it. 0 if every case
 * was scheduled. */
/* sweep: vangnetd's --sweep in seconds; after: seconds of pinging once
 * every case is done (the sweeps that follow, with the mailboxes full of
 * the pass's notices). */
int bench_schedule_server(const char *vangnetd, size_t n, int days, const char *tmpdir,
                          unsigned sweep, unsigned after);

#endif
