/* bench_alerts: how long do alert lists take with many alerts stored, and
 * does everybody else still get answered meanwhile?
 *
 * For each count N (--alerts, default 10000,200000) the program starts a
 * real vangnetd on 127.0.0.1 with a temporary state directory and its
 * abuse limits lifted, and real clients (the vangnet binary given): a
 * casemanager with one case and its participant, and another casemanager
 * with no case ("another user"). vn_alertflood (a naaste of the case)
 * raises N signals, severities in turn; the test clock then moves 61
 * minutes, so the crisis third escalates to the medical lead, who joins
 * after that (so the escalation sends them no notices). It times, with
 * the clients as a user runs them:
 *  - the casemanager's first page (`vangnet --json alerts`) and whole list
 *    (`--all`, every page, or with --one-reply the one reply of a server
 *    without pages);
 *  - the same for the medical lead (the escalated alerts);
 *  - another user's `vangnet alerts`, idle and during the casemanager's
 *    whole listing (the slowest of those runs).
 * A whole list still running after --budget seconds (default 300) is
 * stopped there: the figure then says how many alerts it had printed, and
 * the projected time for all of them.
 *
 *   bench_alerts --vangnetd PATH --vangnet PATH --flood PATH
 *                [--alerts N,N...] [--budget S] [--one-reply]
 *                [--server-arg ARG]...
 * --one-reply: the client lists everything in one reply (a server from
 * before alert pages); the whole list is then `vangnet --json alerts`.
 * --no-store-key: a server from before the sealed store.
 *
 * Figures only: it fails (exit 1) when a step fails, never on a time. */
#define _XOPEN_SOURCE 700

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define OUT_MAX     (64 << 20) /* most output of one client run kept */
#define ARGS_MAX    16
#define COUNTS_MAX  8
#define IDLE_RUNS   3
#define DURING_MAX  50
#define SERVER_WAIT 20 /* s */

typedef struct opts {
    const char *vangnetd, *vangnet, *flood;
    size_t counts[COUNTS_MAX], ncounts;
    bool one_reply;    /* the server answers alert-list in one reply (no pages) */
    bool no_store_key; /* a server from before the sealed store: no --store-key */
    double budget_ms;  /* longest whole listing */
    const char *server_args[ARGS_MAX];
    size_t nserver_args;
} opts;

typedef struct run {
    const opts *o;
    char dir[64], state[128], key[128], log[128], prof[128];
    pid_t server;
} run;

/* Drops "--store-key KEY" from a NULL-terminated argv for a server from
 * before the sealed store. */
static void strip_key(const opts *o, char **argv)
{
    if (!o->no_store_key) return;
    size_t j = 0;
    for (size_t i = 0; argv[i]; i++) {
        if (!strcmp(argv[i], "--store-key") && argv[i + 1]) {
            i++;
            continue;
        }
        argv[j++] = argv[i];
    }
    argv[j] = NULL;
}

static double now_ms(void)
{
    return (double)bench_now_ns() / 1e6;
}

/* Runs argv, its stdout into *out (malloc'd, NUL-terminated; may be NULL
 * to drop it), stderr to the log. Returns the exit status, -1 if it could
 * not run, -2 if it was stopped after limit_ms (0: no limit); *ms gets the
 * wall time. */
static int exec_limited(const run *r, char *const argv[], char **out, double *ms, double limit_ms)
{
    int pfd[2];
    if (pipe(pfd)) return -1;
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int logfd = open(r->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(pfd[1], STDOUT_FILENO);
        if (logfd >= 0) dup2(logfd, STDERR_FILENO);
        close(pfd[0]);
        close(pfd[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t len = 0, cap = 0;
    char *buf = NULL, chunk[65536];
    bool stopped = false;
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    for (;;) {
        if (limit_ms > 0 && !stopped && now_ms() - t0 > limit_ms) {
            kill(pid, SIGTERM);
            stopped = true;
        }
        ssize_t n = read(pfd[0], chunk, sizeof chunk);
        if (n < 0 && errno == EAGAIN) {
            usleep(2000);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (!out || len + (size_t)n + 1 > OUT_MAX) continue;
        if (len + (size_t)n + 1 > cap) {
            cap = (len + (size_t)n + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) continue;
            buf = nb;
        }
        memcpy(buf + len, chunk, (size_t)n);
        len += (size_t)n;
    }
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (ms) *ms = now_ms() - t0;
    if (out) {
        if (!buf) buf = calloc(1, 1);
        if (buf) buf[len] = '\0';
        *out = buf;
    } else {
        free(buf);
    }
    if (stopped) return -2;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int exec_out(const run *r, char *const argv[], char **out, double *ms)
{
    return exec_limited(r, argv, out, ms, 0);
}

/* The first line of a tool's output into line; 0 on exit 0. */
static int tool_line(const run *r, char *const argv[], char *line, size_t size)
{
    char *out = NULL;
    int rc = exec_out(r, argv, &out, NULL);
    snprintf(line, size, "%s", out ? out : "");
    line[strcspn(line, "\r\n")] = '\0';
    free(out);
    if (rc)
        fprintf(stderr, "bench_alerts: %s %s failed (exit %d); see %s\n", argv[0], argv[1], rc,
                r->log);
    return rc;
}

static const char *profile(run *r, const char *name)
{
    snprintf(r->prof, sizeof r->prof, "%s/%s", r->dir, name);
    return r->prof;
}

/* vangnet --profile DIR/name args... */
static int client(run *r, const char *name, const char *a1, const char *a2, const char *a3,
                  const char *a4, char **out, double *ms)
{
    char *argv[] = {(char *)r->o->vangnet,
                    "--profile",
                    (char *)profile(r, name),
                    (char *)a1,
                    (char *)a2,
                    (char *)a3,
                    (char *)a4,
                    NULL};
    return exec_out(r, argv, out, ms);
}

static int staff_invite(run *r, const char *role, char *code, size_t size)
{
    char *argv[] = {
        (char *)r->o->vangnetd, "invite", "--state", r->state, "--store-key", r->key, "--role",
        (char *)role,           NULL};
    strip_key(r->o, argv);
    return tool_line(r, argv, code, size);
}

static int join(run *r, const char *name, const char *code)
{
    char *out = NULL;
    int rc = client(r, name, "join", code, NULL, NULL, &out, NULL);
    free(out);
    if (rc) fprintf(stderr, "bench_alerts: %s could not join (exit %d)\n", name, rc);
    return rc;
}

static int start_server(run *r)
{
    char line[256], ep[160];
    char *init[] = {(char *)r->o->vangnetd, "init", "--state", r->state,
                    "--store-key",          r->key, NULL};
    if (mkdir(r->state, 0700) && errno != EEXIST) return -1;
    strip_key(r->o, init);
    if (tool_line(r, init, line, sizeof line)) return -1;
    char *argv[24 + ARGS_MAX] = {(char *)r->o->vangnetd,
                                 "run",
                                 "--state",
                                 r->state,
                                 "--store-key",
                                 r->key,
                                 "--listen",
                                 "tcp://127.0.0.1:*",
                                 "--test-clock",
                                 "--sweep",
                                 "60s",
                                 "--map-size",
                                 "8192",
                                 "--rate-burst",
                                 "1000000",
                                 "--rate-per-sec",
                                 "1000000",
                                 "--account-burst",
                                 "1000000",
                                 "--account-per-sec",
                                 "1000000"};
    size_t n = 21;
    for (size_t i = 0; i < r->o->nserver_args; i++)
        argv[n++] = (char *)r->o->server_args[i];
    argv[n] = NULL;
    strip_key(r->o, argv);
    r->server = fork();
    if (r->server == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open(r->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    snprintf(ep, sizeof ep, "%s/endpoint", r->state);
    for (int i = 0; i < SERVER_WAIT * 100; i++) {
        struct stat st;
        if (stat(ep, &st) == 0 && st.st_size > 0) return 0;
        if (waitpid(r->server, NULL, WNOHANG) == r->server) break;
        usleep(10000);
    }
    fprintf(stderr, "bench_alerts: vangnetd did not start; see %s\n", r->log);
    return -1;
}

static void stop_server(run *r)
{
    if (r->server <= 0) return;
    kill(r->server, SIGTERM);
    waitpid(r->server, NULL, 0);
    r->server = 0;
}

static size_t count_of(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; p && (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* Times one listing of name's alerts: the first page, or the whole list.
 * *listed gets the alerts it printed. */
static int list(const run *r, const char *name, bool whole, double *ms, size_t *listed)
{
    char *out = NULL;
    bool all = whole && !r->o->one_reply;
    char *argv[] = {
        (char *)r->o->vangnet, "--profile", (char *)profile((run *)r, name), "--json", "alerts",
        all ? "--all" : NULL,  NULL};
    int rc = exec_limited(r, argv, &out, ms, whole ? r->o->budget_ms : 0);
    *listed = count_of(out, "\"alert\": ");
    free(out);
    return rc;
}

static int cmp_d(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The median of IDLE_RUNS first pages. */
static int first_page(run *r, const char *name, double *ms, size_t *listed)
{
    double t[IDLE_RUNS];
    for (int i = 0; i < IDLE_RUNS; i++)
        if (list(r, name, false, &t[i], listed)) return -1;
    qsort(t, IDLE_RUNS, sizeof t[0], cmp_d);
    *ms = t[IDLE_RUNS / 2];
    return 0;
}

/* Another user's list, idle (median) and while the casemanager reads the
 * whole list (slowest of the runs that fit in that time). */
static int others(run *r, double *idle, double *during, size_t *runs, double *whole_ms,
                  size_t *whole_n, int *whole_rc)
{
    size_t dummy;
    if (first_page(r, "other", idle, &dummy)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        double ms;
        size_t n = 0;
        int rc = list(r, "cm", true, &ms, &n);
        /* The child reports through its exit status and a small file. */
        char path[160];
        snprintf(path, sizeof path, "%s/whole", r->dir);
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "%f %zu\n", ms, n);
            fclose(f);
        }
        _exit(rc & 0xff);
    }
    *during = 0;
    *runs = 0;
    int status = 0;
    while (*runs < DURING_MAX && waitpid(pid, &status, WNOHANG) == 0) {
        double ms;
        size_t n;
        if (list(r, "other", false, &ms, &n)) return -1;
        if (ms > *during) *during = ms;
        (*runs)++;
    }
    waitpid(pid, &status, 0);
    *whole_rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    char path[160];
    snprintf(path, sizeof path, "%s/whole", r->dir);
    FILE *f = fopen(path, "r");
    if (!f || fscanf(f, "%lf %zu", whole_ms, whole_n) != 2) *whole_ms = 0, *whole_n = 0;
    if (f) fclose(f);
    return 0;
}

/* A whole listing: its time, or how far it got in the budget. */
static void whole_line(const char *what, double ms, size_t listed, size_t of, int rc)
{
    if (rc == -2 && listed)
        printf("  %-25s %8.0f ms  stopped at the budget after %zu of %zu alerts; all would take "
               "about %.0f s\n",
               what, ms, listed, of, ms / 1000.0 * (double)of / (double)listed);
    else if (rc)
        printf("  %-25s %8.0f ms  FAILED (exit %d) after %zu of %zu alerts\n", what, ms, rc, listed,
               of);
    else
        printf("  %-25s %8.0f ms  (%zu of %zu alerts)\n", what, ms, listed, of);
}

static int bench_one(const opts *o, size_t count)
{
    run r = {.o = o};
    char code[512], line[256], case_id[64], n[32];
    int rc = -1;
    snprintf(r.dir, sizeof r.dir, "/tmp/bench_alerts_XXXXXX");
    if (!mkdtemp(r.dir)) return -1;
    snprintf(r.state, sizeof r.state, "%s/state", r.dir);
    snprintf(r.key, sizeof r.key, "%s/store.key", r.dir);
    snprintf(r.log, sizeof r.log, "%s/log", r.dir);
    if (start_server(&r)) goto out;
    char *out = NULL;
    if (staff_invite(&r, "casemanager", code, sizeof code) || join(&r, "cm", code) ||
        client(&r, "cm", "case", "new", NULL, NULL, &out, NULL))
        goto out;
    snprintf(case_id, sizeof case_id, "%s", out ? out : "");
    case_id[strcspn(case_id, "\r\n")] = '\0';
    free(out);
    out = NULL;
    {
        char *argv[] = {(char *)o->vangnet, "--profile",   (char *)profile(&r, "cm"),
                        "invite",           "--case",      case_id,
                        "--role",           "participant", NULL};
        if (tool_line(&r, argv, code, sizeof code) || join(&r, "doc", code)) goto out;
        char *argv2[] = {(char *)o->vangnet, "--profile", (char *)profile(&r, "cm"),
                         "invite",           "--case",    case_id,
                         "--role",           "naaste",    NULL};
        if (tool_line(&r, argv2, code, sizeof code)) goto out;
    }
    char other[512];
    if (staff_invite(&r, "casemanager", other, sizeof other) || join(&r, "other", other)) goto out;
    snprintf(n, sizeof n, "%zu", count);
    char *flood[] = {(char *)o->flood, "raise", code, case_id, n, NULL};
    if (tool_line(&r, flood, line, sizeof line)) goto out;
    printf("%zu alerts: %s\n", count, line);
    fflush(stdout);
    /* The crisis third passes its hour: the next sweeps escalate it. */
    char *adv[] = {(char *)o->vangnetd, "clock", "--state", r.state, "--store-key", r.key,
                   "advance",           "61m",   NULL};
    strip_key(o, adv);
    if (tool_line(&r, adv, line, sizeof line)) goto out;
    /* The casemanager's first page holds the oldest crisis alerts: once
     * they show level 2, one sweep has escalated them all. The lead joins
     * after that, so the escalation sent them no notices. */
    size_t want = count / 3;
    bool up = false;
    for (int i = 0; i < 600 && !up; i++) {
        sleep(1);
        char *page = NULL;
        if (client(&r, "cm", "--json", "alerts", NULL, NULL, &page, NULL) == 0)
            up = page && strstr(page, "\"level\": 2") != NULL;
        free(page);
    }
    if (!up) {
        fprintf(stderr, "bench_alerts: no escalation within 600 s\n");
        goto out;
    }
    if (staff_invite(&r, "medical-lead", code, sizeof code) || join(&r, "ml", code)) goto out;
    double cm_first, ml_first, ml_whole, idle, during, cm_whole;
    size_t cm_n, ml_n, ml_all, runs, whole_n;
    int whole_rc;
    if (first_page(&r, "cm", &cm_first, &cm_n) || first_page(&r, "ml", &ml_first, &ml_n)) goto out;
    int ml_rc = list(&r, "ml", true, &ml_whole, &ml_all);
    if (others(&r, &idle, &during, &runs, &cm_whole, &whole_n, &whole_rc)) goto out;
    printf("  casemanager first page    %8.0f ms  (%zu alerts shown)\n", cm_first, cm_n);
    whole_line("casemanager whole list", cm_whole, whole_n, count, whole_rc);
    printf("  medical lead first page   %8.0f ms  (%zu alerts shown)\n", ml_first, ml_n);
    whole_line("medical lead whole list", ml_whole, ml_all, want, ml_rc);
    printf("  another user, idle        %8.0f ms\n", idle);
    printf("  another user, during      %8.0f ms  (slowest of %zu runs during the whole list)\n",
           during, runs);
    fflush(stdout);
    rc = 0;
out:
    stop_server(&r);
    if (rc)
        fprintf(stderr, "bench_alerts: the run of %zu alerts failed; its log: %s\n", count, r.log);
    else
        bench_rm_tree(r.dir);
    return rc;
}

static int parse_counts(const char *s, opts *o)
{
    o->ncounts = 0;
    while (*s && o->ncounts < COUNTS_MAX) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || v == 0 || v > 1000000 || (*end && *end != ',')) return -1;
        o->counts[o->ncounts++] = (size_t)v;
        s = *end ? end + 1 : end;
    }
    return *s ? -1 : 0;
}

int main(int argc, char **argv)
{
    opts o = {.counts = {10000, 200000}, .ncounts = 2, .budget_ms = 300000};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--one-reply")) {
            o.one_reply = true;
            continue;
        }
        if (!strcmp(a, "--no-store-key")) {
            o.no_store_key = true;
            continue;
        }
        if (!v) goto usage;
        i++;
        if (!strcmp(a, "--vangnetd"))
            o.vangnetd = v;
        else if (!strcmp(a, "--vangnet"))
            o.vangnet = v;
        else if (!strcmp(a, "--flood"))
            o.flood = v;
        else if (!strcmp(a, "--budget")) {
            o.budget_ms = atof(v) * 1000;
            if (o.budget_ms <= 0) goto usage;
        } else if (!strcmp(a, "--alerts")) {
            if (parse_counts(v, &o)) goto usage;
        } else if (!strcmp(a, "--server-arg") && o.nserver_args < ARGS_MAX)
            o.server_args[o.nserver_args++] = v;
        else
            goto usage;
    }
    if (!o.vangnetd || !o.vangnet || !o.flood) goto usage;
    /* The profiles' passphrase cost is the client's, not the lists'. */
    setenv("VANGNET_INSECURE_TEST_KDF", "1", 1);
    setenv("VANGNET_PASSPHRASE", "bench alerts passphrase", 1);
    int bad = 0;
    for (size_t i = 0; i < o.ncounts; i++)
        bad |= bench_one(&o, o.counts[i]) != 0;
    return bad;
usage:
    fprintf(
        stderr,
        "usage: bench_alerts --vangnetd PATH --vangnet PATH --flood PATH "
        "[--alerts N,N...] [--budget S] [--one-reply] [--no-store-key] [--server-arg ARG]...\n");
    return 2;
}
