/* The CLI's side of a running daemon: when PROFILE/daemon.sock answers,
 * the command line goes there as one "run" call and the daemon runs the
 * command on its open profile (no passphrase, no key derivation, no new
 * connection to the server); its exit code and output come back byte for
 * byte and are printed here. No socket, or one nobody answers on (a
 * daemon that died): the command runs here as always.
 *
 * Commands that read standard input or wait for a person (join,
 * change-passphrase, send --stdin), that never end (inbox --follow), and
 * inbox onto a pipe (it counts a message shown only once the reader took
 * it, which only this process can see) always run here. */
#include "daemon.h"

#include "args.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define REPLY_MAX (256u << 20) /* bytes of one answer: output of a very long history */
#define GRACE_MS  10000        /* beyond the command's own --timeout */

static int relay(vn_client *c);

static bool stays_here(const vn_cmd *cmd, const vn_args *a)
{
    struct stat st;
    bool fifo = fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
    return vn_daemon_stays_here(cmd, a, isatty(STDIN_FILENO), fifo);
}

/* Decodes base64 text and writes it to fd. */
static void put_b64(int fd, const char *s)
{
    size_t n = s ? strlen(s) : 0, len = 0;
    unsigned char *b = n ? malloc(n) : NULL;
    if (!b || sodium_base642bin(b, n, s, n, NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL)) {
        free(b);
        return;
    }
    for (size_t o = 0; o < len;) {
        ssize_t k = write(fd, b + o, len - o);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        o += (size_t)k;
    }
    free(b);
}

/* The request: {"jsonrpc":"2.0","id":1,"method":"run","params":{...}}. */
static char *request(const vn_client *c, const vn_cmd *cmd, int argc, char **argv)
{
    json_t *words = json_array();
    for (int i = 0; words && i < argc; i++) {
        json_t *w = json_string(argv[i]);
        if (!w) {
            json_decref(words);
            return NULL; /* not UTF-8: run it here */
        }
        json_array_append_new(words, w);
    }
    json_t *req = json_pack("{s:s, s:i, s:s, s:{s:s, s:s?, s:o, s:b, s:i}}", "jsonrpc", "2.0", "id",
                            1, "method", "run", "params", "command", cmd->name, "sub", cmd->sub,
                            "argv", words, "json", c->json, "timeout", c->timeout_ms / 1000);
    char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    return s;
}

bool vn_daemon_forward(vn_client *c, const vn_cmd *cmd, const vn_args *a, int argc, char **argv,
                       int *rc)
{
    if (cmd->run == vn_cmd_daemon || cmd->run == vn_cmd_jsonrpc) {
        /* They point 0, 1 and 2 elsewhere while a command runs (rpc_exec.c):
         * opened before the profile, none of them can be the profile's file. */
        for (int fd = 0; fd < 3; fd++)
            if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd) break;
    }
    if (cmd->run == vn_cmd_jsonrpc && vn_args_has(a, "--connect")) {
        *rc = relay(c);
        return true;
    }
    if (stays_here(cmd, a) || getenv("VANGNET_NO_DAEMON")) return false;
    int fd = vn_dsock_connect(c->profile);
    if (fd < 0) return false;
    char *req = request(c, cmd, argc, argv), *line = NULL;
    size_t len = 0;
    json_error_t e;
    json_t *rep = NULL;
    int64_t deadline = vn_dsock_mono_ms() + c->timeout_ms + GRACE_MS;
    bool sent = req && vn_dsock_send(fd, req, strlen(req), deadline) &&
                vn_dsock_send(fd, "\n", 1, deadline);
    if (sent) line = vn_dsock_recv_line(fd, deadline, REPLY_MAX, &len);
    close(fd);
    free(req);
    if (!sent) return false; /* nothing reached it: run here */
    if (line) rep = json_loadb(line, len, 0, &e);
    free(line);
    json_t *res = json_object_get(rep, "result"), *ex = json_object_get(res, "exit");
    if (json_is_integer(ex)) {
        fflush(stdout);
        fflush(stderr);
        put_b64(STDOUT_FILENO, json_string_value(json_object_get(res, "stdout")));
        put_b64(STDERR_FILENO, json_string_value(json_object_get(res, "stderr")));
        *rc = (int)json_integer_value(ex);
    } else {
        const char *m =
            json_string_value(json_object_get(json_object_get(rep, "error"), "message"));
        *rc = vn_client_fail(c, VN_ETIMEOUT, "the daemon of profile %s %s%s", c->profile,
                             m ? "refused the command: "
                               : "did not answer in time; the command "
                                 "may or may not have run",
                             m ? m : "");
    }
    json_decref(rep);
    return true;
}

/* `vangnet jsonrpc --connect`: standard input to the daemon's socket and
 * its answers and events to standard output, until either side ends. */
static int relay(vn_client *c)
{
    char buf[65536];
    int fd = vn_dsock_connect(c->profile);
    signal(SIGPIPE, SIG_IGN);
    if (fd < 0)
        return vn_client_fail(c, VN_ETRANSPORT, "no daemon answers on %s/%s", c->profile,
                              VN_DAEMON_SOCK);
    bool in_open = true;
    for (;;) {
        struct pollfd p[2] = {{.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
                              {.fd = fd, .events = POLLIN}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (p[1].revents) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            if (!vn_dsock_send(STDOUT_FILENO, buf, (size_t)n, vn_dsock_mono_ms() + 600000)) break;
        }
        if (p[0].revents) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n <= 0) {
                in_open = false;
                shutdown(fd, SHUT_WR);
            } else if (!vn_dsock_send(fd, buf, (size_t)n, vn_dsock_mono_ms() + 600000)) {
                in_open = false; /* refused (too big?): its answer may still come */
            }
        }
    }
    close(fd);
    return EXIT_OK;
}
