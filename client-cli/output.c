/* What the user sees of an error or a time: plain text, or JSON under
 * --json, and the exit code that goes with an error. */
#include "client.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

void vn_json_str(FILE *f, const char *s)
{
    /* One escaper for every JSON string, peer text or not. */
    vn_text_json(f, s);
}

void vn_iso_time(uint64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int exit_code(vn_err err)
{
    switch (err) {
    case VN_ETIMEOUT:
    case VN_ETRANSPORT:
    case VN_ERATE:
    case VN_EFULL:
    case VN_ESTORE:
        return EXIT_RETRY;
    case VN_EUNTRUSTED:
        return EXIT_UNTRUSTED;
    case VN_EINVAL:
        return EXIT_FAIL;
    default:
        return EXIT_FAIL;
    }
}

static void report(vn_client *c, vn_err err, const char *msg)
{
    if (c->json) {
        fprintf(stderr, "{\"error\": {\"code\": \"%s\", \"message\": ", vn_err_name(err));
        vn_json_str(stderr, msg);
        fprintf(stderr, "}}\n");
    } else {
        fprintf(stderr, "vangnet: %s\n", msg);
    }
}

int vn_client_fail(vn_client *c, vn_err err, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    report(c, err, msg);
    return exit_code(err);
}

int vn_client_fail_usage(vn_client *c, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    report(c, VN_EINVAL, msg);
    return EXIT_USAGE;
}

int vn_client_fail_call(vn_client *c, vn_err err, const char *what)
{
    uint64_t retry = 0;
    char safe[600];
    /* The server's words go into a line of the client's own: one line,
     * nothing a terminal acts on. */
    const char *smsg =
        vn_text_field(c->conn ? vn_conn_error(c->conn, &retry) : "", safe, sizeof safe);
    int rc;
    if (err == VN_ETIMEOUT) /* With what the connection found at each address, if anything. */
        rc = vn_client_fail(c, err,
                            "%s: no answer from the server within %d s (is it running and "
                            "reachable at this profile's address? A server with another key "
                            "than the one pinned never answers; see vangnet server set-endpoint)"
                            "%s%s",
                            what, c->timeout_ms / 1000, smsg[0] ? ": " : "", smsg);
    else if (retry)
        rc = vn_client_fail(c, err, "%s: %s (retry after %llu ms)", what,
                            smsg[0] ? smsg : vn_err_str(err), (unsigned long long)retry);
    else
        rc = vn_client_fail(c, err, "%s: %s", what, smsg[0] ? smsg : vn_err_str(err));
    /* The server was busy or failed part-way: the same call may succeed
     * later (vn_err_is_retryable), which exit code 3 tells a script. */
    return rc == EXIT_FAIL && err != VN_ENOMEM && vn_err_is_retryable(err) ? EXIT_RETRY : rc;
}
