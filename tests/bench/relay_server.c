/* bench_relay's server: `vangnetd init` and `run` in a temporary state
 * directory, its log, its stop, and the invites the clients redeem. */
#include "relay.h"

#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void relay_fail(bench *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_relay: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    b->failed = true;
}

void relay_print_log_tail(const bench *b)
{
    char buf[LOG_TAIL + 1];
    int fd = open(b->log, O_RDONLY);
    if (fd < 0) return;
    off_t end = lseek(fd, 0, SEEK_END);
    lseek(fd, end > LOG_TAIL ? end - LOG_TAIL : 0, SEEK_SET);
    ssize_t n = read(fd, buf, LOG_TAIL);
    close(fd);
    if (n <= 0) return;
    buf[n] = '\0';
    fprintf(stderr, "---- vangnetd log (tail) ----\n%s----\n", buf);
}

/* Waits for `vangnetd run` to write DIR/endpoint. */
static int wait_endpoint(bench *b)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/endpoint", b->state);
    int64_t deadline = bench_now_ns() + (int64_t)10 * 1000000000;
    while (bench_now_ns() < deadline) {
        int status;
        if (waitpid(b->server, &status, WNOHANG) == b->server) {
            b->server = 0;
            relay_fail(b, "vangnetd run exited before it listened");
            return -1;
        }
        FILE *f = fopen(path, "r");
        if (f) {
            char line[VN_ENDPOINT_MAX + 2];
            bool ok = fgets(line, sizeof line, f) != NULL && strchr(line, '\n') != NULL;
            fclose(f);
            if (ok) {
                size_t len = strcspn(line, "\r\n");
                if (len > VN_ENDPOINT_MAX) len = VN_ENDPOINT_MAX;
                memcpy(b->endpoint, line, len);
                b->endpoint[len] = '\0';
                return 0;
            }
        }
        usleep(10000);
    }
    relay_fail(b, "vangnetd did not write %s within 10 s", path);
    return -1;
}

/* Runs `vangnetd run` on listen: a free port at first, the same endpoint
 * after a kill -9 (the clients reconnect to it). */
int relay_run_server(bench *b, const char *listen)
{
    char path[4200];
    /* A restart must not read the endpoint its predecessor wrote. */
    snprintf(path, sizeof path, "%s/endpoint", b->state);
    unlink(path);
    /* The abuse limits would measure themselves, not the relay: lift them. */
    char *run[24 + SERVER_ARGS_MAX] = {
        (char *)b->o.vangnetd, "run",        "--state",           b->state,
        "--store-key",         b->store_key, "--listen",          (char *)listen,
        "--rate-burst",        RATE_MAX,     "--rate-per-sec",    RATE_MAX,
        "--account-burst",     RATE_MAX,     "--account-per-sec", RATE_MAX,
        "--inbound-burst",     INBOUND_MAX,  "--inbound-per-sec", INBOUND_MAX};
    size_t k = 20;
    /* The window puts up to 400 sends a client in flight, and an open
     * loop a burst the bench reads late: the slow-reader limit (64 replies
     * queued per connection by default) would drop their replies and the
     * benchmark would measure its own resends. */
    run[k++] = "--send-queue";
    run[k++] = "10000";
    for (size_t i = 0; i < b->o.nserver_args; i++)
        run[k++] = (char *)b->o.server_args[i];
    b->server = bench_spawn(run, NULL, b->log);
    if (b->server < 0) {
        b->server = 0;
        relay_fail(b, "cannot start %s: %s", b->o.vangnetd, strerror(errno));
        return -1;
    }
    return wait_endpoint(b);
}

int relay_start_server(bench *b)
{
    char out[256];
    char *init[] = {(char *)b->o.vangnetd, "init",       "--state", b->state,
                    "--store-key",         b->store_key, NULL};
    if (bench_run_tool(init, out, sizeof out) != 0) {
        relay_fail(b, "`%s init --state %s` failed", b->o.vangnetd, b->state);
        return -1;
    }
    return relay_run_server(b, "tcp://127.0.0.1:*");
}

void relay_stop_server(bench *b)
{
    if (b->server <= 0) return;
    kill(b->server, SIGTERM);
    int status;
    for (int i = 0; i < 1000; i++) { /* up to 10 s */
        pid_t r = waitpid(b->server, &status, WNOHANG);
        if (r == b->server || (r < 0 && errno != EINTR)) {
            b->server = 0;
            return;
        }
        usleep(10000);
    }
    fprintf(stderr, "bench_relay: vangnetd ignored SIGTERM for 10 s; killing it\n");
    kill(b->server, SIGKILL);
    waitpid(b->server, &status, 0);
    b->server = 0;
}

/* Creates count invites for role (into case_id if not NULL), a few
 * `vangnetd invite` processes at a time (each opens the store, so they
 * serialise on its write lock). */
int relay_make_invites(bench *b, vn_invite *inv, size_t count, const char *role,
                       const char *case_id)
{
    char *argv[] = {(char *)b->o.vangnetd,
                    "invite",
                    "--state",
                    b->state,
                    "--store-key",
                    b->store_key,
                    "--role",
                    (char *)role,
                    case_id ? "--case" : NULL,
                    (char *)case_id,
                    NULL};
    for (size_t done = 0; done < count;) {
        pid_t pid[INVITE_PARALLEL];
        int fd[INVITE_PARALLEL];
        size_t k = 0;
        for (; k < INVITE_PARALLEL && done + k < count; k++) {
            pid[k] = bench_spawn(argv, &fd[k], NULL);
            if (pid[k] < 0) break;
        }
        int bad = 0;
        for (size_t j = 0; j < k; j++) {
            char code[VN_INVITE_TEXT_MAX + 8];
            if (bench_finish(pid[j], fd[j], code, sizeof code) != 0 ||
                vn_invite_decode(code, &inv[done + j]) != VN_OK)
                bad++;
        }
        if (k == 0 || bad) {
            relay_fail(b, "`vangnetd invite` failed or printed no valid code");
            return -1;
        }
        done += k;
    }
    return 0;
}
