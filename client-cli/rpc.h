/* JSON-RPC 2.0 over the command table (docs/JSONRPC.md): every command is
 * a method ("send", "case.show"), its positional arguments and options are
 * named params, and its result is what the command prints under --json.
 * The same code answers the daemon's socket, its HTTP port and
 * `vangnet jsonrpc` on standard input. */
#ifndef VN_RPC_H
#define VN_RPC_H

#include "commands.h"

#include <jansson.h>

#define VN_RPC_MAX_REQUEST (1u << 20) /* bytes of one request (a line, or an HTTP body) */

/* JSON-RPC's own error codes; a command's failure is -32000 - its exit code. */
enum {
    VN_RPC_PARSE = -32700,
    VN_RPC_INVALID = -32600,
    VN_RPC_NO_METHOD = -32601,
    VN_RPC_BAD_PARAMS = -32602,
    VN_RPC_INTERNAL = -32603,
    VN_RPC_EXIT_BASE = -32000,
};

/* What one command printed, and its exit code (rpc_exec.c). */
typedef struct vn_rpc_out {
    int rc;        /* the exit code */
    char *out;     /* standard output, NUL-terminated (outlen bytes before it) */
    size_t outlen; /* its length */
    char *err;     /* standard error, NUL-terminated */
    size_t errlen; /* its length */
} vn_rpc_out;

/* Runs cmd on the open profile c with argv (what follows the command and
 * sub-command) as its command line, as the CLI would: the profile's lock
 * taken, --json as json says, timeout_ms as --timeout. Standard output and
 * error are captured into *o and standard input reads as empty. VN_OK with
 * o->rc the exit code; VN_EIO or VN_ENOMEM when capturing failed. Free *o
 * with vn_rpc_out_free. */
vn_err vn_rpc_exec(vn_client *c, const vn_cmd *cmd, int argc, char **argv, bool json,
                   int timeout_ms, vn_rpc_out *o);
void vn_rpc_out_free(vn_rpc_out *o);

/* Where requests are answered: the open profile, and what only some
 * transports offer. */
typedef struct vn_rpc_ctx {
    vn_client *c;
    /* "subscribe": true when this connection now receives events; NULL
     * where there are none to have. */
    bool (*subscribe)(void *ud);
    void *ud;
    bool closed; /* set when a command closed the profile (delete-account) */
} vn_rpc_ctx;

/* Answers one request text (a call, or a batch array): *reply gets the
 * response (one line, no newline; free() it), or NULL when nothing is to
 * be answered (notifications only). VN_ENOMEM. */
vn_err vn_rpc_handle(vn_rpc_ctx *x, const char *text, size_t len, char **reply);

/* A response carrying only an error (id null), e.g. for a request too big
 * to read: code, data.error the stable name, message. free() it. */
char *vn_rpc_error_text(int code, const char *name, const char *message);

/* Whether cmd with its arguments a must run in the caller's own process:
 * it reads standard input or asks the person (in_tty: standard input is
 * a terminal), never ends, or counts what a reader at the other end of a
 * pipe took (out_fifo: standard output is a pipe). */
bool vn_daemon_stays_here(const vn_cmd *cmd, const vn_args *a, bool in_tty, bool out_fifo);

/* The method name of a row ("case.show"); false for a row that is no
 * method (join, daemon, jsonrpc, change-passphrase). */
bool vn_rpc_method_name(const vn_cmd *cmd, char *out, size_t size);

#endif
