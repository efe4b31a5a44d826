/* Running one command inside the process that holds the profile open (the
 * daemon, `vangnet jsonrpc`): the command's own handler, on the open
 * profile, with its standard output and error pointed at memory files for
 * the time it runs. So a method's result is exactly what the command
 * prints, and a command run for the CLI prints exactly what it would have
 * printed itself. Standard input is /dev/null meanwhile: nothing a method
 * runs may wait for a person. */
#define _GNU_SOURCE
#include "rpc.h"

#include "args.h"
#include "sentlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The descriptors 0, 1 and 2 while a command runs, and what they were. */
typedef struct redirect {
    int saved[3]; /* dups of the process's own 0, 1, 2 */
    int mem[2];   /* memory files for 1 and 2 */
} redirect;

static void close_fd(int *fd)
{
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

static vn_err redirect_begin(redirect *r)
{
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    r->saved[0] = r->saved[1] = r->saved[2] = r->mem[0] = r->mem[1] = -1;
    fflush(stdout);
    fflush(stderr);
    r->mem[0] = memfd_create("vangnet-stdout", MFD_CLOEXEC);
    r->mem[1] = memfd_create("vangnet-stderr", MFD_CLOEXEC);
    for (int i = 0; i < 3; i++)
        r->saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
    bool ok = null >= 0 && r->mem[0] >= 0 && r->mem[1] >= 0 && r->saved[0] >= 0 &&
              r->saved[1] >= 0 && r->saved[2] >= 0;
    if (ok) ok = dup2(null, 0) == 0 && dup2(r->mem[0], 1) == 1 && dup2(r->mem[1], 2) == 2;
    if (null >= 0) close(null);
    clearerr(stdin);
    clearerr(stdout);
    clearerr(stderr);
    return ok ? VN_OK : VN_EIO;
}

/* Reads a memory file whole, NUL-terminated. */
static vn_err slurp(int fd, char **buf, size_t *len)
{
    struct stat st;
    *buf = NULL;
    *len = 0;
    if (fd < 0 || fstat(fd, &st) != 0) return VN_EIO;
    char *b = malloc((size_t)st.st_size + 1);
    if (!b) return VN_ENOMEM;
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t k = pread(fd, b + n, (size_t)st.st_size - n, (off_t)n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        n += (size_t)k;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return VN_OK;
}

/* Puts 0, 1 and 2 back and reads what was printed. */
static vn_err redirect_end(redirect *r, vn_rpc_out *o)
{
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < 3; i++)
        if (r->saved[i] >= 0) dup2(r->saved[i], i);
    clearerr(stdin);
    clearerr(stdout);
    clearerr(stderr);
    vn_err err = slurp(r->mem[0], &o->out, &o->outlen);
    if (!err) err = slurp(r->mem[1], &o->err, &o->errlen);
    for (int i = 0; i < 3; i++)
        close_fd(&r->saved[i]);
    close_fd(&r->mem[0]);
    close_fd(&r->mem[1]);
    return err;
}

/* The command itself, as main.c runs it on an open profile. */
static int run_cmd(vn_client *c, const vn_cmd *cmd, int argc, char **argv)
{
    char msg[512], syn[2048];
    vn_args a = {0};
    vn_err err = vn_args_parse(&a, cmd, argc, argv, msg, sizeof msg);
    if (err == VN_EINVAL) {
        vn_commands_synopsis(cmd->name, cmd, syn, sizeof syn);
        return vn_client_fail_usage(c, "%s\n%s", msg, syn);
    }
    if (err) return vn_client_fail(c, err, "%s", vn_err_str(err));
    int rc;
    if ((err = vn_lock_take(c))) {
        rc = vn_client_fail(c, err, "cannot lock profile %s: %s", c->profile, vn_err_str(err));
    } else {
        rc = cmd->run(c, &a);
        if (rc == EXIT_OK && (cmd->run == vn_cmd_inbox || cmd->run == vn_cmd_send) && c->kv)
            vn_sentlog_check(c, NULL);
        if (c->kv) vn_lock_drop(c);
    }
    vn_args_free(&a);
    return rc;
}

vn_err vn_rpc_exec(vn_client *c, const vn_cmd *cmd, int argc, char **argv, bool json,
                   int timeout_ms, vn_rpc_out *o)
{
    redirect r;
    bool was_json = c->json;
    int was_timeout = c->timeout_ms;
    memset(o, 0, sizeof *o);
    c->json = json;
    c->timeout_ms = timeout_ms;
    c->rate_waited_ms = 0;
    if (c->conn) vn_conn_set_timeout(c->conn, timeout_ms, 1000);
    vn_err err = redirect_begin(&r);
    o->rc = err ? EXIT_FAIL : run_cmd(c, cmd, argc, argv);
    vn_err eerr = redirect_end(&r, o);
    c->json = was_json;
    c->timeout_ms = was_timeout;
    if (c->conn) vn_conn_set_timeout(c->conn, was_timeout, 1000);
    if (!err) err = eerr;
    if (err) vn_rpc_out_free(o);
    return err;
}

void vn_rpc_out_free(vn_rpc_out *o)
{
    free(o->out);
    free(o->err);
    o->out = o->err = NULL;
    o->outlen = o->errlen = 0;
}
