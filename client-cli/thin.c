/* vangnet: the thin front of the command-line client. It links only libc,
 * so it starts in a millisecond where the whole client (vangnet-full,
 * with OpenSSL, libsignal, ZeroMQ, LMDB and the rest) spends 15 ms in the
 * dynamic loader before main. When a daemon runs for the profile, the
 * command line goes to its socket as one "exec" call and its output and
 * exit code come back; in every other case (no daemon, a line the daemon
 * answers "local", --help, --version, a wrong option) this process
 * becomes vangnet-full with the same arguments, which does what it always
 * did. So the two programs behave as one.
 *
 * What it must get right is the profile: it reads the global options with
 * the client's own reader (cli.c), so --profile, $VANGNET_PROFILE and
 * ~/.vangnet lead to the same socket the whole client would use. */
#include "cli.h"
#include "dsock.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef VN_FULL_PATH
#define VN_FULL_PATH "/usr/libexec/vangnet/vangnet-full"
#endif
#define FULL_NAME  "vangnet-full"
#define REPLY_MAX  (256u << 20) /* bytes of one answer, as daemon_client.c */
#define GRACE_MS   10000        /* beyond the command's own --timeout */
#define EXIT_FAIL  1
#define EXIT_RETRY 3

/* A growing buffer; on running out of memory it stays as it was and
 * remembers the failure. */
typedef struct buf {
    char *p;
    size_t len, cap;
    bool failed;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->failed) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Whether s is UTF-8 (JSON text must be; the daemon would refuse it). */
static bool utf8_ok(const unsigned char *s)
{
    while (*s) {
        int n = *s < 0x80             ? 0
                : (*s & 0xe0) == 0xc0 ? 1
                : (*s & 0xf0) == 0xe0 ? 2
                : (*s & 0xf8) == 0xf0 ? 3
                                      : -1;
        if (n < 0 || (n == 1 && *s < 0xc2)) return false;
        for (s++; n > 0; n--, s++)
            if ((*s & 0xc0) != 0x80) return false;
    }
    return true;
}

/* s as a JSON string. */
static void put_json(buf *b, const char *s)
{
    char esc[8];
    put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            put(b, esc, 2);
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            put(b, esc, 6);
        } else {
            put(b, s, 1);
        }
    }
    put(b, "\"", 1);
}

/* Becomes vangnet-full: the one beside this program (a build tree), the
 * one in ../libexec/vangnet from it (an installed tree, wherever it was
 * put), else the one of the configured prefix. */
static int run_full(char **argv)
{
    static const char *const rel[] = {"/" FULL_NAME, "/../libexec/vangnet/" FULL_NAME};
    char self[PATH_MAX], path[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char *slash = n > 0 ? (self[n] = '\0', strrchr(self, '/')) : NULL;
    if (slash) *slash = '\0';
    for (size_t i = 0; slash && i < sizeof rel / sizeof rel[0]; i++) {
        snprintf(path, sizeof path, "%s%s", self, rel[i]);
        if (access(path, X_OK) == 0) execv(path, argv);
    }
    execv(VN_FULL_PATH, argv);
    fprintf(stderr, "vangnet: cannot run %s: %s\n", VN_FULL_PATH, strerror(errno));
    return EXIT_FAIL;
}

/* The value of "key": in the answer's "result" object, a string without
 * escapes (base64, or a word) up to its closing quote, or a number or
 * literal up to the next , or }. NULL when absent. The daemon writes the
 * result itself (rpc.c), so keys appear once and values are plain. */
static const char *field(const char *result, const char *key, size_t *len)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(result, pat);
    if (!p) return NULL;
    p += strlen(pat);
    if (*p == '"') {
        const char *end = strchr(++p, '"');
        if (!end || memchr(p, '\\', (size_t)(end - p))) return NULL;
        *len = (size_t)(end - p);
        return p;
    }
    *len = strcspn(p, ",}");
    return p;
}

static int b64_value(char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Decodes base64 s[0..len) onto fd; false on anything but base64. */
static bool write_b64(int fd, const char *s, size_t len)
{
    buf out = {0};
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len && s[i] != '='; i++) {
        int v = b64_value(s[i]);
        if (v < 0) {
            free(out.p);
            return false;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            char byte = (char)((acc >> bits) & 0xff);
            put(&out, &byte, 1);
        }
    }
    for (size_t o = 0; o < out.len;) {
        ssize_t k = write(fd, out.p + o, out.len - o);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        o += (size_t)k;
    }
    bool ok = !out.failed;
    free(out.p);
    return ok;
}

/* Says that the command's fate is unknown, as the whole client would:
 * no answer came, or an error (the daemon could not capture the command's
 * output, say) instead of a result. */
static int no_answer(const vn_cli *l, const char *profile, bool answered)
{
    buf m = {0};
    puts_(&m, "the daemon of profile ");
    puts_(&m, profile);
    puts_(&m, answered ? " could not report the command's outcome; it may or may not have run"
                       : " did not answer in time; the command may or may not have run");
    if (l->json) {
        buf j = {0};
        put_json(&j, m.p ? m.p : "");
        fprintf(stderr, "{\"error\": {\"code\": \"TIMEOUT\", \"message\": %s}}\n",
                j.p ? j.p : "\"\"");
        free(j.p);
    } else {
        fprintf(stderr, "vangnet: %s\n", m.p ? m.p : "");
    }
    free(m.p);
    return EXIT_RETRY;
}

/* The request: {"jsonrpc":"2.0","id":1,"method":"exec","params":{...}}. */
static void request(buf *b, int argc, char **argv)
{
    struct stat st;
    char num[32];
    bool fifo = fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
    puts_(b, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"exec\",\"params\":{\"words\":[");
    for (int i = 0; i < argc; i++) {
        if (i) put(b, ",", 1);
        put_json(b, argv[i]);
    }
    snprintf(num, sizeof num, "%d", vn_cli_term_cols());
    puts_(b, "],\"stdin_tty\":");
    puts_(b, isatty(STDIN_FILENO) ? "true" : "false");
    puts_(b, ",\"stdout_tty\":");
    puts_(b, isatty(STDOUT_FILENO) ? "true" : "false");
    puts_(b, ",\"stdout_fifo\":");
    puts_(b, fifo ? "true" : "false");
    puts_(b, ",\"columns\":");
    puts_(b, num);
    puts_(b, "}}\n");
}

int main(int argc, char **argv)
{
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    char defprofile[4096];
    vn_cli l = {.rest = rest};
    if (!rest || getenv("VANGNET_NO_DAEMON") || !vn_cli_split(&l, argc, argv) || l.help ||
        l.version || !l.name)
        return run_full(argv);
    for (int i = 0; i < argc; i++)
        if (!utf8_ok((const unsigned char *)argv[i])) return run_full(argv);
    const char *profile = l.profile, *env = getenv("VANGNET_PROFILE"), *home = getenv("HOME");
    if (!profile && env && env[0]) profile = env;
    if (!profile) {
        snprintf(defprofile, sizeof defprofile, "%s/.vangnet", home && home[0] ? home : ".");
        profile = defprofile;
    }
    long secs = l.timeout ? strtol(l.timeout, NULL, 10) : 10;
    if (secs < 1 || secs > 3600) return run_full(argv); /* it says what is wrong */
    int fd = vn_dsock_connect(profile);
    if (fd < 0) return run_full(argv);
    buf req = {0};
    size_t replen = 0;
    request(&req, argc, argv);
    int64_t deadline = vn_dsock_mono_ms() + secs * 1000 + GRACE_MS;
    bool sent = !req.failed && vn_dsock_send(fd, req.p, req.len, deadline);
    char *rep = sent ? vn_dsock_recv_line(fd, deadline, REPLY_MAX, &replen) : NULL;
    bool answered = rep != NULL;
    close(fd);
    free(req.p);
    if (!sent) return run_full(argv); /* nothing reached it */
    const char *result = answered ? strstr(rep, "\"result\":{") : NULL;
    size_t n, on, en;
    const char *local = result ? field(result, "local", &n) : NULL;
    const char *ex = result ? field(result, "exit", &n) : NULL;
    const char *out = result ? field(result, "stdout", &on) : NULL;
    const char *err = result ? field(result, "stderr", &en) : NULL;
    if (local && strncmp(local, "true", 4) == 0) {
        free(rep);
        return run_full(argv);
    }
    if (!ex || !out || !err) {
        /* No answer, or an error: the command may have run; running it
         * again could send a message twice. */
        free(rep);
        return no_answer(&l, profile, answered);
    }
    int rc = atoi(ex);
    write_b64(STDOUT_FILENO, out, on);
    write_b64(STDERR_FILENO, err, en);
    free(rep);
    free(rest);
    return rc;
}
