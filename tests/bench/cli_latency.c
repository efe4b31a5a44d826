/* bench_cli: the wall time of one `vangnet` command, without a daemon
 * (each run unlocks the profile: the passphrase's key derivation, at its
 * real cost, then a new connection to the server) and with `vangnet
 * daemon` running for the profile (the command goes through its socket).
 *
 *   bench_cli --vangnetd PATH --vangnet PATH [--vangnet-full PATH] [--runs N]
 *             [--runs-without N]
 *
 * A fresh server and a casemanager's profile in a temporary directory;
 * each command runs N times each way (--runs-without: as often without a daemon, where a run
 * costs the passphrase's key derivation) (output to /dev/null) and the
 * median, p99 and worst are printed. With --vangnet-full, each command
 * through the daemon is also run by the whole client (vangnet-full, which
 * loads every library before it reaches the socket), right after the thin
 * front's runs of it, so both see the same load. Figures, not a test: nothing is
 * asserted about them. Exit 1 when a command failed. */
#define _GNU_SOURCE
#include "proc.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

typedef struct bench {
    const char *vangnetd, *vangnet, *full;
    bench_server srv;
    char profile[300];
    pid_t daemon;
} bench;

static int setup(bench *b)
{
    char code[256], tmp[400];
    if (bench_server_start(&b->srv, b->vangnetd, "cli", NULL)) return -1;
    snprintf(b->profile, sizeof b->profile, "%s/cm", b->srv.dir);
    snprintf(tmp, sizeof tmp, "%s/out", b->srv.dir);
    char *inv[] = {(char *)b->vangnetd, "invite", "--state",     b->srv.state, "--store-key",
                   b->srv.key,          "--role", "casemanager", NULL};
    if (bench_first_line(inv, tmp, NULL, code, sizeof code) != 0) return -1;
    char *join[] = {(char *)b->vangnet, "--profile", b->profile, "join", code, NULL};
    char *newc[] = {(char *)b->vangnet, "--profile", b->profile, "case", "new", NULL};
    if (bench_run_to(join, NULL, b->srv.log) != 0 || bench_run_to(newc, NULL, b->srv.log) != 0)
        return -1;
    return 0;
}

/* Times n runs of the command; prints its line. */
static int measure(bench *b, const char *prog, const char *label, char *const words[], int n)
{
    char *argv[16] = {(char *)prog, "--profile", b->profile};
    int k = 3, failed = 0;
    for (int i = 0; words[i] && k < 15; i++)
        argv[k++] = words[i];
    argv[k] = NULL;
    int64_t *ns = calloc((size_t)n, sizeof *ns), sum = 0;
    if (!ns) return 1;
    for (int i = 0; i < n; i++) {
        int64_t t0 = bench_now_ns();
        if (bench_run_to(argv, NULL, NULL) != 0) failed++;
        ns[i] = bench_now_ns() - t0;
        sum += ns[i];
    }
    bench_sort_i64(ns, (size_t)n);
    printf("%-28s %6d %9.1f %9.1f %9.1f %9.1f%s\n", label, n,
           (double)bench_permille(ns, (size_t)n, 500) / 1e6,
           (double)bench_permille(ns, (size_t)n, 990) / 1e6, (double)ns[n - 1] / 1e6,
           (double)sum / n / 1e6, failed ? "  (some runs failed)" : "");
    free(ns);
    return failed ? 1 : 0;
}

static int measure_all(bench *b, const char *how, int n)
{
    static char *whoami[] = {"whoami", NULL}, *inbox[] = {"inbox", NULL},
                *cases[] = {"case", "list", NULL}, *jwho[] = {"--json", "whoami", NULL};
    char *const *cmds[] = {whoami, jwho, inbox, cases};
    const char *names[] = {"whoami", "--json whoami", "inbox", "case list"};
    char label[64];
    int bad = 0;
    for (size_t i = 0; i < 4; i++) {
        snprintf(label, sizeof label, "%s, %s", names[i], how);
        bad |= measure(b, b->vangnet, label, cmds[i], n);
        if (b->full && strcmp(how, "daemon") == 0) {
            snprintf(label, sizeof label, "%s, daemon, -full", names[i]);
            bad |= measure(b, b->full, label, cmds[i], n);
        }
    }
    return bad;
}

static void teardown(bench *b)
{
    if (b->daemon > 0) kill(b->daemon, SIGTERM), waitpid(b->daemon, NULL, 0);
    bench_server_stop(&b->srv);
}

int main(int argc, char **argv)
{
    bench b = {.vangnetd = NULL};
    int n = 200, without = -1, bad = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--vangnetd"))
            b.vangnetd = argv[i + 1];
        else if (!strcmp(argv[i], "--vangnet"))
            b.vangnet = argv[i + 1];
        else if (!strcmp(argv[i], "--vangnet-full"))
            b.full = argv[i + 1];
        else if (!strcmp(argv[i], "--runs"))
            n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--runs-without"))
            without = atoi(argv[i + 1]);
    }
    if (!b.vangnetd || !b.vangnet || n < 1) {
        fprintf(stderr,
                "usage: bench_cli --vangnetd PATH --vangnet PATH [--vangnet-full PATH] [--runs N] "
                "[--runs-without N]\n");
        return 2;
    }
    /* The real passphrase cost: the figure without a daemon is what a user waits. */
    unsetenv("VANGNET_INSECURE_TEST_KDF");
    unsetenv("VANGNET_NO_DAEMON");
    setenv("VANGNET_PASSPHRASE", "bench passphrase of four words", 1);
    if (setup(&b) != 0) {
        fprintf(stderr, "bench_cli: setup failed (see %s, kept)\n", b.srv.log);
        b.srv.keep = true;
        teardown(&b);
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("%-28s %6s %9s %9s %9s %9s\n", "command", "runs", "median", "p99", "max", "mean");
    printf("%-28s %6s %9s %9s %9s %9s\n", "", "", "ms", "ms", "ms", "ms");
    setenv("VANGNET_NO_DAEMON", "1", 1);
    bad |= measure_all(&b, "no daemon", without > 0 ? without : n);
    unsetenv("VANGNET_NO_DAEMON");
    char sock[400], log[400];
    snprintf(sock, sizeof sock, "%s/daemon.sock", b.profile);
    snprintf(log, sizeof log, "%s/daemon.log", b.srv.dir);
    char *daemon[] = {(char *)b.vangnet, "--profile", b.profile, "daemon", NULL};
    if ((b.daemon = bench_spawn_to(daemon, NULL, log)) < 0 || !bench_wait_path(sock, 20000)) {
        fprintf(stderr, "bench_cli: the daemon did not start (see %s)\n", log);
        teardown(&b);
        return 1;
    }
    bad |= measure_all(&b, "daemon", n);
    teardown(&b);
    return bad;
}
