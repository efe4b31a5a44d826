/* The client's side of the daemon's socket (PROFILE/daemon.sock): libc
 * only, so the thin vangnet (thin.c) uses it as vangnet-full and the chat
 * do. Requests and answers are lines of JSON; every wait has a deadline. */
#ifndef VN_DSOCK_H
#define VN_DSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VN_DAEMON_SOCK "daemon.sock" /* in the profile directory */

/* A connection to the daemon of profile, or -1 when no daemon answers
 * (no socket, or one nobody listens on). */
int vn_dsock_connect(const char *profile);
/* Monotonic milliseconds, for deadlines. */
int64_t vn_dsock_mono_ms(void);
/* Writes all of buf[0..len) to fd (a socket, or a pipe or file) before the
 * deadline; false if not (a peer gone raises no SIGPIPE on a socket). */
bool vn_dsock_send(int fd, const char *buf, size_t len, int64_t deadline);
/* Reads one line (the answer) before the deadline: a malloc'd string
 * without its newline, NUL-terminated, *len its length; NULL when none
 * came whole (the peer closed, time ran out, or it passed max bytes). */
char *vn_dsock_recv_line(int fd, int64_t deadline, size_t max, size_t *len);

#endif
