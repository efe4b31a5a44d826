/* bench_sos: from a participant's `vangnet sos` to the notify command of
 * a buddy's daemon, over N SOS (default 100).
 *
 *   bench_sos --vangnetd PATH --vangnet PATH [--count N]
 *
 * A fresh server (abuse limits lifted: this is volume, not abuse), a
 * casemanager, a participant and a buddy. The buddy runs `vangnet daemon
 * --notify-cmd` whose command writes its text (which names the alert) into
 * a FIFO this program reads; the participant runs a daemon too, so its
 * `sos` costs no key derivation. For each SOS: the time from starting
 * `vangnet --json sos` to reading the line of its alert, and how long the
 * sos command itself took. Prints median, p99 and worst; asserts nothing
 * about them. Exit 1 if an SOS never reached the notify command (10 s). */
#define _GNU_SOURCE
#include "proc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOTIFY_WAIT_MS 10000

typedef struct bench {
    const char *vangnetd, *vangnet;
    bench_server srv;
    char fifo[300], tmp[300];
    pid_t daemons[2];
    int fifo_fd;
} bench;

static double now_ms(void)
{
    return (double)bench_now_ns() / 1e6;
}

/* Runs argv, standard output to out (NULL: /dev/null), standard error
 * appended to the log; waits for it unless pid is given. */
static int run(bench *b, char *const argv[], const char *out, pid_t *pid)
{
    if (!pid) return bench_run_to(argv, out, b->srv.log);
    return (*pid = bench_spawn_to(argv, out, b->srv.log)) < 0 ? -1 : 0;
}

/* Runs argv and keeps the first line it printed. */
static int line_of(bench *b, char *const argv[], char *line, size_t size)
{
    int rc = bench_first_line(argv, b->tmp, b->srv.log, line, size);
    return rc || !line[0] ? -1 : 0;
}

static void prof(const bench *b, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", b->srv.dir, name);
}

/* Joins name with an invite from argv (operator or casemanager). */
static int join(bench *b, const char *name, char *const inv[])
{
    char code[256], p[320];
    prof(b, name, p, sizeof p);
    if (line_of(b, inv, code, sizeof code)) return -1;
    char *j[] = {(char *)b->vangnet, "--profile", p, "join", code, NULL};
    return run(b, j, NULL, NULL);
}

static int start_daemon(bench *b, const char *name, const char *notify, pid_t *pid)
{
    char p[320], sock[340];
    prof(b, name, p, sizeof p);
    snprintf(sock, sizeof sock, "%s/daemon.sock", p);
    char *with[] = {(char *)b->vangnet, "--profile",    p,   "daemon",
                    "--notify-cmd",     (char *)notify, NULL};
    char *without[] = {(char *)b->vangnet, "--profile", p, "daemon", NULL};
    if (run(b, notify ? with : without, NULL, pid)) return -1;
    return bench_wait_path(sock, 20000) ? 0 : -1;
}

static int setup(bench *b)
{
    char caseid[128], cm[320], notify[700];
    char *nolimits[] = {"--rate-burst",      "1000000",         "--rate-per-sec",
                        "1000000",           "--account-burst", "1000000",
                        "--account-per-sec", "1000000",         NULL};
    if (bench_server_start(&b->srv, b->vangnetd, "sos", nolimits)) return -1;
    snprintf(b->fifo, sizeof b->fifo, "%s/notify.fifo", b->srv.dir);
    snprintf(b->tmp, sizeof b->tmp, "%s/out", b->srv.dir);
    prof(b, "cm", cm, sizeof cm);
    char *inv_cm[] = {(char *)b->vangnetd, "invite", "--state",     b->srv.state, "--store-key",
                      b->srv.key,          "--role", "casemanager", NULL};
    char *newc[] = {(char *)b->vangnet, "--profile", cm, "case", "new", NULL};
    if (join(b, "cm", inv_cm) || line_of(b, newc, caseid, sizeof caseid)) return -1;
    char *inv_p[] = {(char *)b->vangnet, "--profile",   cm,  "invite", "--case", caseid,
                     "--role",           "participant", NULL};
    char *inv_b[] = {(char *)b->vangnet, "--profile", cm,  "invite", "--case", caseid,
                     "--role",           "buddy",     NULL};
    if (join(b, "p", inv_p) || join(b, "b", inv_b)) return -1;
    if (mkfifo(b->fifo, 0600) || (b->fifo_fd = open(b->fifo, O_RDWR | O_NONBLOCK)) < 0) return -1;
    snprintf(notify, sizeof notify, "printf '%%s\\n' \"$1\" > '%s'", b->fifo);
    if (start_daemon(b, "b", notify, &b->daemons[0]) || start_daemon(b, "p", NULL, &b->daemons[1]))
        return -1;
    return 0;
}

/* Reads notify lines until one names alert; false after NOTIFY_WAIT_MS. */
static bool await_notify(bench *b, const char *alert, int64_t *at)
{
    static char buf[65536];
    static size_t len;
    double until = now_ms() + NOTIFY_WAIT_MS;
    for (;;) {
        char *nl;
        while ((nl = memchr(buf, '\n', len))) {
            *nl = '\0';
            bool hit = strstr(buf, alert) != NULL;
            len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, len);
            if (hit) return true;
        }
        struct pollfd p = {.fd = b->fifo_fd, .events = POLLIN};
        double left = until - now_ms();
        if (left <= 0) return false;
        if (poll(&p, 1, (int)left + 1) <= 0) continue;
        ssize_t n = read(b->fifo_fd, buf + len, sizeof buf - len - 1);
        *at = bench_now_ns();
        if (n > 0) len += (size_t)n;
        if (len == sizeof buf - 1) len = 0; /* a flood of other lines: drop them */
    }
}

/* Prints the median, p99 and worst of v[0..n) (nanoseconds) in ms. */
static void report(const char *what, int64_t *v, int n)
{
    if (n == 0) return;
    bench_sort_i64(v, (size_t)n);
    printf("%-36s n=%d median %.1f ms  p99 %.1f ms  max %.1f ms\n", what, n,
           (double)bench_permille(v, (size_t)n, 500) / 1e6,
           (double)bench_permille(v, (size_t)n, 990) / 1e6, (double)v[n - 1] / 1e6);
}

static void teardown(bench *b)
{
    for (int i = 0; i < 2; i++)
        if (b->daemons[i] > 0) kill(b->daemons[i], SIGTERM), waitpid(b->daemons[i], NULL, 0);
    bench_server_stop(&b->srv);
}

int main(int argc, char **argv)
{
    bench b = {.fifo_fd = -1};
    int n = 100, missed = 0, got = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--vangnetd"))
            b.vangnetd = argv[i + 1];
        else if (!strcmp(argv[i], "--vangnet"))
            b.vangnet = argv[i + 1];
        else if (!strcmp(argv[i], "--count"))
            n = atoi(argv[i + 1]);
    }
    if (!b.vangnetd || !b.vangnet || n < 1) {
        fprintf(stderr, "usage: bench_sos --vangnetd PATH --vangnet PATH [--count N]\n");
        return 2;
    }
    setenv("VANGNET_PASSPHRASE", "bench passphrase of four words", 1);
    unsetenv("VANGNET_NO_DAEMON");
    if (setup(&b)) {
        fprintf(stderr, "bench_sos: setup failed (log: %s, kept)\n", b.srv.log);
        b.srv.keep = true;
        teardown(&b);
        return 1;
    }
    int64_t *to_notify = calloc((size_t)n, sizeof(int64_t)),
            *cmd = calloc((size_t)n, sizeof(int64_t));
    char p[320], line[256], alert[64];
    prof(&b, "p", p, sizeof p);
    char *sos[] = {(char *)b.vangnet, "--profile", p, "--json", "sos", NULL};
    for (int i = 0; to_notify && cmd && i < n; i++) {
        int64_t t0 = bench_now_ns(), at = 0;
        if (line_of(&b, sos, line, sizeof line) ||
            sscanf(line, "{\"alert\": \"%63[0-9a-f]\"", alert) != 1) {
            fprintf(stderr, "bench_sos: sos %d failed: %s\n", i + 1, line);
            missed++;
            continue;
        }
        cmd[got] = bench_now_ns() - t0;
        if (!await_notify(&b, alert, &at)) {
            fprintf(stderr, "bench_sos: SOS %s never reached the notify command\n", alert);
            missed++;
            continue;
        }
        to_notify[got++] = at - t0;
    }
    report("sos start -> buddy's notify command", to_notify, got);
    report("the sos command itself (via daemon)", cmd, got);
    printf("%d of %d SOS reached the notify command\n", got, n);
    free(to_notify);
    free(cmd);
    teardown(&b);
    return missed ? 1 : 0;
}
