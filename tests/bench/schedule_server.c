/* bench_schedule --vangnetd: the scheduler through the real server. N
 * cases under contract are written into a fresh store (seedcases.c, the
 * scheduler test's seeder), their contracts begun --days ago, so the first
 * pass does what a day's rollover does for every case: close the day (a
 * missed check-in, the day's draw), tell the casemanager. Then vangnetd
 * runs (first sweep one second after start, the next an hour later), and a
 * client pings it all along: an unregistered `whoami`, answered by the
 * loop thread without a write, so its round trip is how long the loop kept
 * a request waiting. The benchmark ends when the server logs the end of
 * its pass (or, for a pass too short to be logged, when the store, counted
 * every 30 s, has every case's day closed: counting competes with the
 * server for the store and the CPU), and checks the store again once the
 * server stopped; it reports the pass (from the server's log line), the
 * worst and the percentiles of the round trips during it, and what the
 * store holds. Exit 1 unless every case was scheduled. */
#define _XOPEN_SOURCE 700

#include "../e2e/seedcases.h"
#include "../e2e/serverpub.h"
#include "vn/conn.h"
#include "vn/day.h"
#include "vn/frame.h"
#include "vn/hex.h"
#include "vn/sched.h"
#include "vn/cases.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "proc.h"
#include "schedule_server.h"

#define POLL_MS      30000   /* how often the store is counted during the pass */
#define LOG_POLL_MS  200     /* how often the log is read for the pass line */
#define RTT_MAX      2000000 /* round trips kept for the percentiles */
#define PASS_TIMEOUT 3600    /* seconds */

typedef struct run {
    char dir[4096], state[4200], key[4200], log[4200];
    pid_t server;
    vn_sstore *st;
    int32_t last_day; /* the day every case must be closed through */
} run;

struct count_ctx {
    run *r;
    size_t closed, seen;
};

static vn_err count_cb(void *ud, const vn_case_info *ci)
{
    struct count_ctx *c = ud;
    int32_t day;
    c->seen++;
    if (vn_sched_last(c->r->st, ci->id, &day) == VN_OK && day >= c->r->last_day) c->closed++;
    return VN_OK;
}

/* Cases closed through last_day, of the active ones. */
static vn_err count_closed(run *r, size_t n, size_t *closed)
{
    vn_case_info *ci = malloc((n + 1) * sizeof *ci);
    size_t got = 0;
    if (!ci) return VN_ENOMEM;
    vn_err err = vn_cases_list(r->st, VN_CASE_ACTIVE, ci, n + 1, &got);
    struct count_ctx c = {r, 0, 0};
    for (size_t i = 0; !err && i < got; i++)
        count_cb(&c, &ci[i]);
    free(ci);
    *closed = c.closed;
    return err;
}

/* The per-mille pm of sorted v, in milliseconds. */
static double pm_ms(const int64_t *v, size_t n, unsigned pm)
{
    return (double)bench_permille(v, n, pm) / 1e6;
}

/* The load average now (the machine may be shared: say how busy it was). */
static void loadavg(char *out, size_t size)
{
    char buf[128];
    if (bench_read_file("/proc/loadavg", buf, sizeof buf)) {
        snprintf(out, size, "unknown");
        return;
    }
    /* The three averages, without the run queue and last pid. */
    int n = 0;
    for (char *p = buf; *p && n < 3; p++)
        if (*p == ' ' && ++n == 3) *p = '\0';
    snprintf(out, size, "%.60s", buf);
}

/* Round trips longer than ms milliseconds. */
static size_t over_ms(const int64_t *v, size_t n, int64_t ms)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += v[i] > ms * 1000000;
    return c;
}

/* The server's lines about slow scheduler steps: how many, and the
 * longest of each walk, into out. */
static void slow_steps(const run *r, char *out, size_t size)
{
    static char buf[1 << 22];
    static const char *walks[] = {"escalation", "expiry", "cases"};
    unsigned long worst[3] = {0, 0, 0}, count[3] = {0, 0, 0};
    out[0] = '\0';
    if (bench_read_file(r->log, buf, sizeof buf)) return;
    for (char *p = buf; (p = strstr(p, "scheduler: a step of the ")); p++) {
        char walk[32];
        unsigned long ms;
        if (sscanf(p, "scheduler: a step of the %31s walk took %lu ms", walk, &ms) != 2) continue;
        for (int i = 0; i < 3; i++)
            if (strcmp(walk, walks[i]) == 0) {
                count[i]++;
                worst[i] = ms > worst[i] ? ms : worst[i];
            }
    }
    snprintf(out, size, "escalation %lu (longest %lu ms), expiry %lu (%lu ms), cases %lu (%lu ms)",
             count[0], worst[0], count[1], worst[1], count[2], worst[2]);
}

/* The server's line at the end of a long pass, if it wrote one. */
static void pass_line(const run *r, char *out, size_t size)
{
    static char buf[1 << 20];
    out[0] = '\0';
    if (bench_read_file(r->log, buf, sizeof buf)) return;
    char *p = strstr(buf, "scheduler: pass over");
    if (!p) return;
    size_t len = strcspn(p, "\n");
    snprintf(out, size, "%.*s", (int)(len < size ? len : size - 1), p);
}

static int start(run *r, const char *vangnetd, unsigned sweep)
{
    char sweep_arg[32];
    snprintf(sweep_arg, sizeof sweep_arg, "%us", sweep);
    char ep_path[4300], ep[256], pub_path[4300];
    char *run_argv[] = {(char *)vangnetd, "run",     "--state",  r->state,
                        "--store-key",    r->key,    "--listen", "tcp://127.0.0.1:*",
                        "--sweep",        sweep_arg, NULL};
    r->server = bench_spawn(run_argv, NULL, r->log);
    if (r->server < 0) return -1;
    snprintf(ep_path, sizeof ep_path, "%s/endpoint", r->state);
    snprintf(pub_path, sizeof pub_path, "%s/server.pub", r->state);
    for (int i = 0; i < 2000; i++) {
        if (bench_read_file(ep_path, ep, sizeof ep) == 0 && strchr(ep, '\n')) return 0;
        usleep(5000);
    }
    fprintf(stderr, "bench_schedule: vangnetd did not listen within 10 s (log: %s)\n", r->log);
    return -1;
}

static int connect_pinger(run *r, vn_conn **conn)
{
    char ep[256], z85[64] = {0}, path[4300];
    uint8_t server[32], pub[32], sec[32];
    snprintf(path, sizeof path, "%s/endpoint", r->state);
    if (bench_read_file(path, ep, sizeof ep)) return -1;
    ep[strcspn(ep, "\n")] = '\0';
    snprintf(path, sizeof path, "%s/server.pub", r->state);
    if (bench_read_file(path, z85, sizeof z85)) return -1;
    z85[strcspn(z85, "\n")] = '\0';
    if (!zmq_z85_decode(server, z85)) {
        fprintf(stderr, "bench_schedule: %s holds no z85 key\n", path);
        return -1;
    }
    if (vn_conn_curve_keypair(pub, sec) || vn_conn_open(conn, ep, server, pub, sec)) {
        fprintf(stderr, "bench_schedule: cannot connect to %s\n", ep);
        return -1;
    }
    /* One send per ping: a resend would hide a stall behind a second try. */
    vn_conn_set_timeout(*conn, 120000, 120000);
    return 0;
}

/* One round trip; an unregistered key is refused by the loop thread. */
static int ping(vn_conn *conn, int64_t *rtt)
{
    Vn__Whoami w = VN__WHOAMI__INIT;
    Vn__Request req = VN__REQUEST__INIT;
    Vn__Reply *rep = NULL;
    req.body_case = VN__REQUEST__BODY_WHOAMI;
    req.whoami = &w;
    int64_t t0 = bench_now_ns();
    vn_err err = vn_conn_call(conn, &req, &rep);
    *rtt = bench_now_ns() - t0;
    vn_frame_reply_free(rep);
    return err == VN_EUNREGISTERED ? 0 : -1;
}

/* Pings for secs seconds into v (at most max); returns the count, or -1. */
static long ping_for(vn_conn *conn, unsigned secs, int64_t *v, size_t max)
{
    size_t n = 0;
    int64_t t0 = bench_now_ns();
    while (bench_now_ns() - t0 < (int64_t)secs * 1000000000LL) {
        int64_t t;
        if (ping(conn, &t)) return -1;
        if (n < max) v[n++] = t;
    }
    return (long)n;
}

int bench_schedule_server(const char *vangnetd, size_t n, int days, const char *tmpdir,
                          unsigned sweep, unsigned after)
{
    run r = {0};
    vn_conn *conn = NULL;
    int64_t *rtt = calloc(RTT_MAX, sizeof *rtt);
    int rc = 1;
    uint8_t key[32];
    size_t closed = 0, nrtt = 0, idle_n = 0;
    int64_t idle_max = 0, idle_sum = 0;
    snprintf(r.dir, sizeof r.dir, "%s/bench_schedule.XXXXXX", tmpdir);
    if (!rtt || !mkdtemp(r.dir)) {
        fprintf(stderr, "bench_schedule: cannot make a directory in %s\n", tmpdir);
        free(rtt);
        return 1;
    }
    snprintf(r.state, sizeof r.state, "%s/state", r.dir);
    snprintf(r.key, sizeof r.key, "%s/store.key", r.dir);
    snprintf(r.log, sizeof r.log, "%s/vangnetd.log", r.dir);
    char *init_argv[] = {(char *)vangnetd, "init", "--state", r.state, "--store-key", r.key, NULL};
    pid_t p = bench_spawn(init_argv, NULL, r.log);
    if (p < 0 || bench_wait_exit(p) != 0 || serverpub_read_store_key(r.key, key)) {
        fprintf(stderr, "bench_schedule: `%s init` failed (log: %s)\n", vangnetd, r.log);
        goto out;
    }
    vn_err err = vn_sstore_open(&r.st, r.state, 0, key);
    explicit_bzero(key, sizeof key);
    if (err) {
        fprintf(stderr, "bench_schedule: cannot open the store: %s\n", vn_err_str(err));
        goto out;
    }
    /* The server counts days in Europe/Amsterdam, its default zone. */
    setenv("TZ", "Europe/Amsterdam", 1);
    tzset();
    int minute;
    int32_t today = vn_day_local((uint64_t)time(NULL) * 1000, &minute);
    r.last_day = today - 1;
    int64_t t0 = bench_now_ns();
    if ((err = seed_cases(r.st, n, today - days, (uint64_t)time(NULL) * 1000))) {
        fprintf(stderr, "bench_schedule: seeding failed: %s\n", vn_err_str(err));
        goto out;
    }
    double seed_s = (double)(bench_now_ns() - t0) / 1e9;
    char load_before[64], load_after[64];
    loadavg(load_before, sizeof load_before);
    if (start(&r, vangnetd, sweep) || connect_pinger(&r, &conn)) goto out;
    /* Before the first sweep (one second after start): the idle loop. */
    int64_t started = bench_now_ns();
    while (bench_now_ns() - started < 700 * 1000000LL) {
        int64_t t;
        if (ping(conn, &t)) {
            fprintf(stderr, "bench_schedule: the ping was not answered as expected\n");
            goto out;
        }
        idle_max = t > idle_max ? t : idle_max;
        idle_sum += t;
        idle_n++;
    }
    int64_t pass_t0 = bench_now_ns(), next_poll = pass_t0 + POLL_MS * 1000000LL, done_at = 0;
    int64_t next_log = pass_t0 + LOG_POLL_MS * 1000000LL;
    char line[512];
    while (!done_at && bench_now_ns() - pass_t0 < PASS_TIMEOUT * 1000000000LL) {
        int64_t t;
        if (ping(conn, &t)) {
            fprintf(stderr, "bench_schedule: a ping failed during the pass\n");
            goto out;
        }
        if (nrtt < RTT_MAX) rtt[nrtt++] = t;
        if (bench_now_ns() >= next_log) {
            pass_line(&r, line, sizeof line);
            if (line[0]) done_at = bench_now_ns();
            next_log = bench_now_ns() + LOG_POLL_MS * 1000000LL;
        }
        if (!done_at && bench_now_ns() >= next_poll) {
            if (count_closed(&r, n, &closed) == VN_OK && closed == n) done_at = bench_now_ns();
            next_poll = bench_now_ns() + POLL_MS * 1000000LL;
        }
    }
    loadavg(load_after, sizeof load_after);
    long nafter = 0;
    int64_t *rtt_after = after ? calloc(RTT_MAX, sizeof *rtt_after) : NULL;
    if (after && (!rtt_after || (nafter = ping_for(conn, after, rtt_after, RTT_MAX)) < 0)) {
        fprintf(stderr, "bench_schedule: a ping failed after the pass\n");
        free(rtt_after);
        goto out;
    }
    vn_conn_close(&conn);
    kill(r.server, SIGTERM);
    bench_wait_exit(r.server);
    r.server = 0;
    if ((err = count_closed(&r, n, &closed))) {
        fprintf(stderr, "bench_schedule: cannot read the store: %s\n", vn_err_str(err));
        goto out;
    }
    pass_line(&r, line, sizeof line);
    bench_sort_i64(rtt, nrtt);
    printf("bench_schedule: the scheduler through vangnetd\n");
    printf("  cases              %zu active, contracts begun %d day%s ago\n", n, days,
           days == 1 ? "" : "s");
    printf("  seeding            %.1f s\n", seed_s);
    printf("  server's pass      %s\n", line[0] ? line + strlen("scheduler: ") : "(no log line)");
    printf("  every case done    %.1f s after the pass began, as the client saw it (log read every "
           "%d ms)\n",
           done_at ? (double)(done_at - pass_t0) / 1e9 : -1.0, LOG_POLL_MS);
    printf("  idle round trip    mean %.3f ms, max %.3f ms (%zu pings before the pass)\n",
           idle_n ? (double)idle_sum / (double)idle_n / 1e6 : 0.0, (double)idle_max / 1e6, idle_n);
    printf("  round trip in pass p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms (%zu pings)\n",
           pm_ms(rtt, nrtt, 500), pm_ms(rtt, nrtt, 990), pm_ms(rtt, nrtt, 999),
           nrtt ? (double)rtt[nrtt - 1] / 1e6 : 0.0, nrtt);
    printf("  longest loop stall %.3f ms (the slowest round trip); %zu over 10 ms, %zu over 5 ms\n",
           nrtt ? (double)rtt[nrtt - 1] / 1e6 : 0.0, over_ms(rtt, nrtt, 10), over_ms(rtt, nrtt, 5));
    printf("  load average       %s before the pass, %s after (%ld cores)\n", load_before,
           load_after, sysconf(_SC_NPROCESSORS_ONLN));
    if (after) {
        bench_sort_i64(rtt_after, (size_t)nafter);
        printf(
            "  after the pass     %u s, sweep every %u s: p99 %.3f  p99.9 %.3f  max %.3f ms (%ld "
            "pings), %zu over 10 ms\n",
            after, sweep, pm_ms(rtt_after, (size_t)nafter, 990),
            pm_ms(rtt_after, (size_t)nafter, 999),
            nafter ? (double)rtt_after[nafter - 1] / 1e6 : 0.0, nafter,
            over_ms(rtt_after, (size_t)nafter, 10));
        free(rtt_after);
    }
    char slow[256];
    slow_steps(&r, slow, sizeof slow);
    printf("  steps over 100 ms  %s (server's log, the whole run)\n", slow);
    printf("  scheduled          %zu of %zu cases closed through yesterday\n", closed, n);
    printf("result: %s\n", closed == n ? "OK, every case scheduled" : "FAILED");
    rc = closed == n ? 0 : 1;
out:
    vn_conn_close(&conn);
    if (r.server > 0) {
        kill(r.server, SIGTERM);
        bench_wait_exit(r.server);
    }
    vn_sstore_close(&r.st);
    if (rc)
        fprintf(stderr, "bench_schedule: kept %s\n", r.dir);
    else
        bench_rm_tree(r.dir);
    free(rtt);
    return rc;
}
