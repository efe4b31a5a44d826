/* bench_relay --idle N (relay_idle.c): many idle connections to vangnetd,
 * and what each costs the server in memory. */
#ifndef VN_BENCH_RELAY_IDLE_H
#define VN_BENCH_RELAY_IDLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct relay_idle {
    pid_t *procs; /* the processes holding the connections */
    size_t nprocs;
    int hold_fd;                      /* closing it lets them go */
    size_t n;                         /* connections open and answered */
    long rss_before_kb, rss_after_kb; /* the server's VmRSS around the opening */
    double open_s;                    /* from the first connect to the last answer */
    long fds_before, fds_with;        /* the server's open descriptors, likewise */
    long rss_closed_kb;               /* VmRSS once they closed and the server settled */
    double close_s;                   /* from letting go until the server closed them all */
} relay_idle;

/* Raises the descriptor limit of this process (and so of a server it
 * starts later) to at least want, as far as the hard limit, or beyond it
 * for root. Returns the limit in force. */
long relay_idle_raise_nofile(long want);
/* Opens n connections to endpoint, each with a fresh CURVE key pair, in
 * child processes of a few thousand each (every connection takes two
 * descriptors on this side, and the hard limit may not be ours to
 * raise), and waits until each was answered once (a `whoami`, refused to an
 * unregistered key after the CURVE handshake and ZAP let it in), so every
 * connection is authenticated and known to the server. Then reads the
 * server's resident memory again. 0, or -1 with a message in err. */
int relay_idle_open(relay_idle *out, const char *endpoint, const uint8_t server_key[32],
                    pid_t server, size_t n, int timeout_s, char *err, size_t errlen);
/* Ends the children and with them the connections; the figures stay. */
void relay_idle_close(relay_idle *self);
/* relay_idle_close, then waits (up to timeout_s) until the server holds
 * no more descriptors than before the opening, and settle_s more, and
 * reads its resident memory into rss_closed_kb: whether the memory of the
 * closed connections was given back. 0, or -1 if the descriptors were
 * not all closed in time (the figure is still read). */
int relay_idle_release(relay_idle *self, pid_t server, int timeout_s, int settle_s);
/* Newcomers: while the load runs, a child process opens a fresh
 * connection (a new CURVE key) every 250 ms, sends one `whoami` and times
 * the CURVE handshake, ZAP and the reply together, then closes it: how
 * long a client that arrives while others saturate the server waits. */
typedef struct relay_newcomers {
    pid_t pid;  /* the child, 0 when not running */
    int fd;     /* its timings, one double (ms) each; -1 for none answered in 30 s */
    double *ms; /* the timings read at the end */
    size_t n, lost;
} relay_newcomers;
int relay_newcomers_start(relay_newcomers *self, const char *endpoint,
                          const uint8_t server_key[32]);
/* Stops the child and reads its timings. */
void relay_newcomers_stop(relay_newcomers *self);

#endif
