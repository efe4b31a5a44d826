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
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct bench {
    const char *vangnetd, *vangnet, *full;
    char dir[256], state[300], key[300], profile[300];
    pid_t server, daemon;
} bench;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000 + (double)t.tv_nsec / 1e6;
}

/* Runs argv with standard output to out (NULL: /dev/null) and standard
 * error to log (NULL: /dev/null); returns its exit status, -1 if it could
 * not run. */
static int run(char *const argv[], const char *out, const char *log, bool wait_it, pid_t *pid)
{
    pid_t p = fork();
    if (p < 0) return -1;
    if (p == 0) {
        int o = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
        int n = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || n < 0) _exit(126);
        dup2(n, 0);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid) *pid = p;
    if (!wait_it) return 0;
    int st;
    while (waitpid(p, &st, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The first line a command printed, into line. */
static int first_line(char *const argv[], const char *tmp, char *line, size_t size)
{
    int rc = run(argv, tmp, NULL, true, NULL);
    FILE *f = fopen(tmp, "r");
    line[0] = '\0';
    if (f && fgets(line, (int)size, f)) line[strcspn(line, "\n")] = '\0';
    if (f) fclose(f);
    return rc;
}

static bool wait_file(const char *path, int seconds)
{
    struct stat st;
    for (int i = 0; i < seconds * 20; i++) {
        if (stat(path, &st) == 0 && st.st_size >= 0) return true;
        usleep(50000);
    }
    return false;
}

static int setup(bench *b)
{
    char ep[400], code[256], tmp[400], log[400];
    snprintf(b->dir, sizeof b->dir, "/tmp/vn-bench-cli.XXXXXX");
    if (!mkdtemp(b->dir)) return -1;
    snprintf(b->state, sizeof b->state, "%s/state", b->dir);
    snprintf(b->key, sizeof b->key, "%s/store.key", b->dir);
    snprintf(b->profile, sizeof b->profile, "%s/cm", b->dir);
    snprintf(ep, sizeof ep, "%s/endpoint", b->state);
    snprintf(tmp, sizeof tmp, "%s/out", b->dir);
    snprintf(log, sizeof log, "%s/server.log", b->dir);
    char *init[] = {(char *)b->vangnetd, "init", "--state", b->state, "--store-key", b->key, NULL};
    char *serve[] = {
        (char *)b->vangnetd, "run", "--state", b->state, "--store-key", b->key, "--listen",
        "tcp://127.0.0.1:*", NULL};
    char *inv[] = {
        (char *)b->vangnetd, "invite", "--state", b->state, "--store-key", b->key, "--role",
        "casemanager",       NULL};
    if (run(init, NULL, log, true, NULL) != 0 || run(serve, NULL, log, false, &b->server) != 0 ||
        !wait_file(ep, 20) || first_line(inv, tmp, code, sizeof code) != 0)
        return -1;
    char *join[] = {(char *)b->vangnet, "--profile", b->profile, "join", code, NULL};
    char *newc[] = {(char *)b->vangnet, "--profile", b->profile, "case", "new", NULL};
    if (run(join, NULL, log, true, NULL) != 0 || run(newc, NULL, log, true, NULL) != 0) return -1;
    return 0;
}

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Times n runs of the command; prints its line. */
static int measure(bench *b, const char *prog, const char *label, char *const words[], int n)
{
    char *argv[16] = {(char *)prog, "--profile", b->profile};
    int k = 3, failed = 0;
    for (int i = 0; words[i] && k < 15; i++)
        argv[k++] = words[i];
    argv[k] = NULL;
    double *ms = calloc((size_t)n, sizeof *ms), sum = 0;
    if (!ms) return 1;
    for (int i = 0; i < n; i++) {
        double t0 = now_ms();
        if (run(argv, NULL, NULL, true, NULL) != 0) failed++;
        ms[i] = now_ms() - t0;
        sum += ms[i];
    }
    qsort(ms, (size_t)n, sizeof *ms, cmp);
    size_t p99 = (size_t)(0.99 * (n - 1) + 0.5);
    printf("%-28s %6d %9.1f %9.1f %9.1f %9.1f%s\n", label, n, ms[n / 2], ms[p99], ms[n - 1],
           sum / n, failed ? "  (some runs failed)" : "");
    free(ms);
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
    if (b->server > 0) kill(b->server, SIGTERM), waitpid(b->server, NULL, 0);
    if (b->dir[0]) {
        char *rm[] = {"/bin/rm", "-rf", b->dir, NULL};
        run(rm, NULL, NULL, true, NULL);
    }
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
        fprintf(stderr, "bench_cli: setup failed (see %s)\n", b.dir);
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
    snprintf(log, sizeof log, "%s/daemon.log", b.dir);
    char *daemon[] = {(char *)b.vangnet, "--profile", b.profile, "daemon", NULL};
    if (run(daemon, NULL, log, false, &b.daemon) != 0 || !wait_file(sock, 20)) {
        fprintf(stderr, "bench_cli: the daemon did not start (see %s)\n", log);
        teardown(&b);
        return 1;
    }
    bad |= measure_all(&b, "daemon", n);
    teardown(&b);
    return bad;
}
