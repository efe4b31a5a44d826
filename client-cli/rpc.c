/* JSON-RPC 2.0 requests: read, checked, turned into a command line for
 * the command's row, run (rpc_exec.c) and answered with what the command
 * printed under --json. Params are the row's positional arguments by
 * their lower-case names and its options by name without dashes, so a
 * method takes exactly what the command takes and nothing is listed twice.
 * Every bad request gets an error naming what was wrong. */
#include "rpc.h"

#include "args.h"
#include "vn/parse.h"

#include <ctype.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define ARGV_MAX  256 /* words of one command line built from params */
#define BATCH_MAX 100 /* calls in one batch */
#define NAME_MAX_ 64

/* Rows that are no method: they make or hold a profile, or wait for a
 * person at a terminal. */
static bool skipped(const vn_cmd *cmd)
{
    return cmd->run == vn_cmd_join || cmd->run == vn_cmd_daemon || cmd->run == vn_cmd_jsonrpc ||
           cmd->run == vn_cmd_change_passphrase || cmd->run == vn_cmd_chat;
}

/* Options no method takes: they read standard input or never end. */
static bool skipped_opt(const vn_opt *o)
{
    return strcmp(o->name, "--stdin") == 0 || strcmp(o->name, "--follow") == 0 ||
           strcmp(o->name, "--count") == 0 || strcmp(o->name, "--wait") == 0;
}

bool vn_rpc_method_name(const vn_cmd *cmd, char *out, size_t size)
{
    if (skipped(cmd)) return false;
    snprintf(out, size, "%s%s%s", cmd->name, cmd->sub ? "." : "", cmd->sub ? cmd->sub : "");
    return true;
}

/* A positional argument's param name: "WHO" -> "who"; a list of choices
 * or a pattern takes the word its help names ("the result" -> "result",
 * "when, or off" -> "when"). */
static void arg_param(const vn_arg *g, char *out, size_t size)
{
    const char *s = g->name;
    bool plain = true;
    for (const char *p = s; *p; p++)
        plain &= isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_';
    if (!plain) {
        s = g->help;
        if (strncmp(s, "the ", 4) == 0) s += 4;
    }
    size_t n = 0;
    for (; *s && n + 1 < size && (isalnum((unsigned char)*s) || *s == '_'); s++)
        out[n++] = (char)tolower((unsigned char)*s);
    out[n] = '\0';
}

static const vn_cmd *find_method(const char *method)
{
    char name[NAME_MAX_];
    const vn_cmd *cmd;
    for (size_t i = 0; (cmd = vn_commands_at(i)); i++)
        if (vn_rpc_method_name(cmd, name, sizeof name) && strcmp(name, method) == 0) return cmd;
    return NULL;
}

/* ---- responses ---- */

static json_t *error_obj(int code, const char *name, const char *message, int exit_code)
{
    json_t *data = json_pack("{s:s, s:s}", "error", name, "message", message);
    if (data && exit_code >= 0) json_object_set_new(data, "exit", json_integer(exit_code));
    return json_pack("{s:i, s:s, s:o*}", "code", code, "message", message, "data", data);
}

static json_t *response(json_t *id, json_t *result, json_t *error)
{
    json_t *r = json_pack("{s:s}", "jsonrpc", "2.0");
    if (!r) return NULL;
    if (error)
        json_object_set_new(r, "error", error);
    else
        json_object_set_new(r, "result", result ? result : json_null());
    json_object_set(r, "id", id ? id : json_null());
    return r;
}

static json_t *fail(json_t *id, int code, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static json_t *fail(json_t *id, int code, const char *name, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return response(id, NULL, error_obj(code, name, msg, -1));
}

char *vn_rpc_error_text(int code, const char *name, const char *message)
{
    json_t *r = response(NULL, NULL, error_obj(code, name, message, -1));
    char *s = r ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    return s;
}

/* ---- params into a command line ---- */

typedef struct cmdline {
    char *argv[ARGV_MAX]; /* owned strings */
    int argc;
    int timeout_ms; /* the "timeout" param, or 10 s */
} cmdline;

static void cmdline_free(cmdline *l)
{
    for (int i = 0; i < l->argc; i++)
        free(l->argv[i]);
    l->argc = 0;
}

static bool push(cmdline *l, const char *s)
{
    if (l->argc >= ARGV_MAX) return false;
    return (l->argv[l->argc] = strdup(s)) != NULL && ++l->argc;
}

/* One value as a word: a string, or a whole number. */
static bool word_of(const json_t *v, char *buf, size_t size, const char **out)
{
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return strlen(*out) == json_string_length(v); /* no NUL inside */
    }
    if (json_is_integer(v)) {
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
        *out = buf;
        return true;
    }
    return false;
}

/* Adds one param's words (opt: "--case" before each value; NULL for a
 * positional argument). Returns NULL, or what was wrong. */
static const char *add_values(cmdline *l, const char *opt, const json_t *v, bool repeat)
{
    char buf[32];
    const char *w;
    size_t i;
    const json_t *e;
    if (json_is_array(v)) {
        if (!repeat) return "takes one value, not an array";
        json_array_foreach(v, i, e)
        {
            if (!word_of(e, buf, sizeof buf, &w)) return "wants strings or whole numbers";
            if ((opt && !push(l, opt)) || !push(l, w)) return "has too many values";
        }
        return NULL;
    }
    if (!word_of(v, buf, sizeof buf, &w)) return "wants a string or a whole number";
    if ((opt && !push(l, opt)) || !push(l, w)) return "has too many values";
    return NULL;
}

/* Which params a row takes, as text ("who, text, case"), for errors. */
static void param_list(const vn_cmd *cmd, char *out, size_t size)
{
    char p[NAME_MAX_];
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < VN_CMD_ARGS && cmd->args[i].name && o < size; i++) {
        arg_param(&cmd->args[i], p, sizeof p);
        o += (size_t)snprintf(out + o, size - o, "%s%s", o ? ", " : "", p);
    }
    for (const vn_opt *op = cmd->opts; op->name && o < size; op++)
        if (!skipped_opt(op))
            o += (size_t)snprintf(out + o, size - o, "%s%s", o ? ", " : "", op->name + 2);
    if (o < size) snprintf(out + o, size - o, "%stimeout", o ? ", " : "");
}

/* An option param into the command line; NULL or what was wrong. */
static const char *add_option(cmdline *l, const vn_opt *op, const json_t *v)
{
    if (op->value) return add_values(l, op->name, v, op->flags & VN_OPT_REPEAT);
    if (!json_is_boolean(v)) return "is a flag: true or false";
    if (json_is_true(v) && !push(l, op->name)) return "has too many values";
    return NULL;
}

/* The command line for params: options first, then "--" and the
 * positional arguments in the row's order (those left out closing up, as
 * on a command line). Returns NULL or an error response. */
static json_t *build(const vn_cmd *cmd, json_t *params, json_t *id, cmdline *l)
{
    char key[NAME_MAX_ + 2], p[NAME_MAX_], takes[512];
    const char *k, *why = NULL;
    json_t *v;
    l->timeout_ms = 10000;
    json_object_foreach(params, k, v)
    {
        snprintf(key, sizeof key, "--%s", k);
        const vn_opt *op = vn_opt_find(cmd->opts, key);
        bool is_arg = false;
        for (size_t i = 0; i < VN_CMD_ARGS && cmd->args[i].name; i++) {
            arg_param(&cmd->args[i], p, sizeof p);
            is_arg |= strcmp(p, k) == 0;
        }
        if (strcmp(k, "timeout") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 3600)
                why = "wants whole seconds from 1 to 3600";
            else
                l->timeout_ms = (int)json_integer_value(v) * 1000;
        } else if (op && !skipped_opt(op)) {
            why = add_option(l, op, v);
        } else if (!is_arg) {
            param_list(cmd, takes, sizeof takes);
            return fail(id, VN_RPC_BAD_PARAMS, "INVAL", "unknown param \"%.64s\"; it takes: %s", k,
                        takes[0] ? takes : "none");
        }
        if (why) return fail(id, VN_RPC_BAD_PARAMS, "INVAL", "param \"%.64s\" %s", k, why);
    }
    if (!push(l, "--")) return fail(id, VN_RPC_BAD_PARAMS, "INVAL", "too many params");
    for (size_t i = 0; i < VN_CMD_ARGS && cmd->args[i].name; i++) {
        arg_param(&cmd->args[i], p, sizeof p);
        if (!(v = json_object_get(params, p))) continue;
        if ((why = add_values(l, NULL, v, cmd->args[i].flags & VN_ARG_REPEAT)))
            return fail(id, VN_RPC_BAD_PARAMS, "INVAL", "param \"%s\" %s", p, why);
    }
    return NULL;
}

/* ---- results ---- */

static json_t *text_value(const char *s, size_t len)
{
    json_t *v = json_stringn(s, len);
    return v ? v : json_null(); /* not UTF-8: cannot be a JSON string */
}

/* What the command printed under --json: one JSON value, or a stream of
 * one value a line (an array of them); anything else as {"output": text}. */
static json_t *parse_output(const char *out, size_t len)
{
    json_error_t e;
    size_t i = 0;
    while (i < len && isspace((unsigned char)out[i]))
        i++;
    if (i == len) return json_null();
    json_t *v = json_loadb(out, len, JSON_DECODE_ANY, &e);
    if (v) return v;
    json_t *arr = json_array();
    for (const char *p = out; arr && p < out + len;) {
        const char *nl = memchr(p, '\n', (size_t)(out + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(out + len - p);
        json_t *one = n ? json_loadb(p, n, JSON_DECODE_ANY, &e) : NULL;
        if (n && !one) {
            json_decref(arr);
            arr = NULL;
        } else if (one) {
            json_array_append_new(arr, one);
        }
        p += n + 1;
    }
    return arr ? arr : json_pack("{s:o}", "output", text_value(out, len));
}

/* The error of a command that failed: its {"error": ...} line on standard
 * error, or (a failure that printed no JSON) its text. */
static json_t *command_error(const vn_rpc_out *o)
{
    const char *found = NULL, *name = o->rc == EXIT_USAGE ? "INVAL" : "INTERNAL";
    char msg[2048];
    json_error_t e;
    json_t *line = NULL;
    for (const char *p = o->err; p && *p;) {
        if (strncmp(p, "{\"error\"", 8) == 0) found = p;
        p = strchr(p, '\n');
        if (p) p++;
    }
    size_t n = o->errlen;
    while (n > 0 && isspace((unsigned char)o->err[n - 1]))
        n--;
    snprintf(msg, sizeof msg, "%.*s", (int)n, o->err);
    if (found && (line = json_loadb(found, strcspn(found, "\n"), 0, &e))) {
        json_t *er = json_object_get(line, "error");
        const char *c = json_string_value(json_object_get(er, "code"));
        const char *m = json_string_value(json_object_get(er, "message"));
        if (c) name = c;
        if (m) snprintf(msg, sizeof msg, "%s", m);
    }
    if (!msg[0]) snprintf(msg, sizeof msg, "the command failed (exit %d)", o->rc);
    json_t *r = error_obj(VN_RPC_EXIT_BASE - o->rc, name, msg, o->rc);
    json_decref(line);
    return r;
}

static json_t *b64(const char *s, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *buf = malloc(n);
    if (!buf) return NULL;
    sodium_bin2base64(buf, n, (const unsigned char *)s, len, sodium_base64_VARIANT_ORIGINAL);
    json_t *v = json_string(buf);
    free(buf);
    return v;
}

/* ---- methods ---- */

/* Runs cmd with the command line l; the response for id. */
static json_t *run_method(vn_rpc_ctx *x, const vn_cmd *cmd, cmdline *l, bool json, json_t *id,
                          bool raw)
{
    vn_rpc_out o;
    vn_err err = vn_rpc_exec(x->c, cmd, l->argc, l->argv, json, l->timeout_ms, &o);
    if (!x->c->kv) x->closed = true;
    if (err)
        return fail(id, VN_RPC_INTERNAL, vn_err_name(err), "cannot run the command: %s",
                    vn_err_str(err));
    json_t *r;
    if (raw)
        r = response(id,
                     json_pack("{s:i, s:o*, s:o*}", "exit", o.rc, "stdout", b64(o.out, o.outlen),
                               "stderr", b64(o.err, o.errlen)),
                     NULL);
    else if (o.rc == EXIT_OK)
        r = response(id, parse_output(o.out, o.outlen), NULL);
    else
        r = response(id, NULL, command_error(&o));
    vn_rpc_out_free(&o);
    return r;
}

/* "run": a command line as the CLI has it, answered with its exit code
 * and output, byte for byte (base64). What `vangnet` sends to a daemon. */
static json_t *method_run(vn_rpc_ctx *x, json_t *params, json_t *id)
{
    json_t *words = json_object_get(params, "argv"), *w;
    const char *name = json_string_value(json_object_get(params, "command"));
    const char *sub = json_string_value(json_object_get(params, "sub"));
    json_t *tj = json_object_get(params, "timeout");
    json_int_t secs = tj ? json_integer_value(tj) : 10; /* not a number: 0, refused below */
    cmdline l = {.timeout_ms = secs >= 1 && secs <= 3600 ? (int)secs * 1000 : 0};
    size_t i;
    const vn_cmd *cmd = name ? vn_commands_find(name, sub) : NULL;
    if (!cmd || skipped(cmd))
        return fail(id, VN_RPC_BAD_PARAMS, "INVAL", "run: no command %s%s%s",
                    name ? name : "(none)", sub ? " " : "", sub ? sub : "");
    if (!json_is_array(words) || l.timeout_ms < 1000 || l.timeout_ms > 3600000)
        return fail(id, VN_RPC_BAD_PARAMS, "INVAL",
                    "run wants argv (an array of strings) and timeout (1 to 3600)");
    json_array_foreach(words, i, w)
    {
        if (!json_is_string(w) || !push(&l, json_string_value(w))) {
            cmdline_free(&l);
            return fail(id, VN_RPC_BAD_PARAMS, "INVAL", "run: argv wants at most %d strings",
                        ARGV_MAX);
        }
    }
    json_t *r = run_method(x, cmd, &l, json_is_true(json_object_get(params, "json")), id, true);
    cmdline_free(&l);
    return r;
}

bool vn_daemon_stays_here(const vn_cmd *cmd, const vn_args *a, bool in_tty, bool out_fifo)
{
    if (skipped(cmd)) return true; /* the rows that are no method */
    if (cmd->run == vn_cmd_send && vn_args_has(a, "--stdin")) return true;
    if (cmd->run == vn_cmd_inbox) return vn_args_has(a, "--follow") || out_fifo;
    /* They ask the person on a terminal what a script gives as an option. */
    if (in_tty && cmd->run == vn_cmd_case_close && !vn_args_has(a, "--yes")) return true;
    if (in_tty && cmd->run == vn_cmd_wellbeing && !vn_args_has(a, "--answers")) return true;
    return false;
}

/* Takes the strings of a JSON array into l; false for anything else. */
static bool words_of(const json_t *words, cmdline *l)
{
    size_t i;
    json_t *w;
    if (!json_is_array(words)) return false;
    json_array_foreach(words, i, w)
    {
        if (!json_is_string(w) || strlen(json_string_value(w)) != json_string_length(w) ||
            !push(l, json_string_value(w)))
            return false;
    }
    return true;
}

/* "exec": a command line as typed, the program's name first (what the
 * thin vangnet sends, thin.c), read the way vangnet's main reads it. A
 * line the daemon must not run (help, version, a wrong line, a command
 * that reads standard input, asks the person or never ends) is answered
 * {"local": true}: the caller then runs the whole client itself, which
 * says what was wrong. Else the answer is run's. */
static json_t *method_exec(vn_rpc_ctx *x, json_t *params, json_t *id)
{
    cmdline all = {0}, run = {0};
    char *rest[ARGV_MAX], msg[256];
    vn_cli l = {.rest = rest};
    vn_args a = {0};
    uint64_t secs = 10;
    bool by_sub, fifo = json_is_true(json_object_get(params, "stdout_fifo"));
    bool tty_in = json_is_true(json_object_get(params, "stdin_tty"));
    json_int_t cols = json_integer_value(json_object_get(params, "columns"));
    const vn_cmd *cmd = NULL;
    json_t *r;
    if (!words_of(json_object_get(params, "words"), &all)) {
        cmdline_free(&all);
        return fail(id, VN_RPC_BAD_PARAMS, "INVAL",
                    "exec wants words: the command line, at most %d strings", ARGV_MAX);
    }
    bool local = !vn_cli_split(&l, all.argc, all.argv) || l.help || l.version || !l.name ||
                 (l.timeout && vn_parse_u64(l.timeout, 1, 3600, &secs) != VN_OK);
    char **words = l.rest;
    int n = l.nrest;
    if (!local) cmd = vn_commands_pick(l.name, &words, &n, &by_sub);
    local = local || !cmd || vn_args_parse(&a, cmd, n, words, msg, sizeof msg) != VN_OK ||
            vn_daemon_stays_here(cmd, &a, tty_in, fifo);
    vn_args_free(&a);
    for (int i = 0; !local && i < n; i++)
        local = !push(&run, words[i]);
    if (local) {
        r = response(id, json_pack("{s:b}", "local", true), NULL);
    } else {
        run.timeout_ms = (int)secs * 1000;
        x->c->out_tty = json_is_true(json_object_get(params, "stdout_tty"));
        x->c->out_cols = cols > 0 && cols < 100000 ? (int)cols : 0;
        r = run_method(x, cmd, &run, l.json, id, true);
        x->c->out_tty = false;
        x->c->out_cols = 0;
    }
    cmdline_free(&run);
    cmdline_free(&all);
    return r;
}

/* "methods": every method and the params it takes. */
static json_t *method_list(json_t *id)
{
    char name[NAME_MAX_], p[NAME_MAX_];
    const vn_cmd *cmd;
    json_t *all = json_array();
    for (size_t i = 0; all && (cmd = vn_commands_at(i)); i++) {
        if (!vn_rpc_method_name(cmd, name, sizeof name)) continue;
        json_t *ps = json_array();
        for (size_t k = 0; k < VN_CMD_ARGS && cmd->args[k].name; k++) {
            arg_param(&cmd->args[k], p, sizeof p);
            json_array_append_new(ps,
                                  json_pack("{s:s, s:s, s:b, s:b}", "name", p, "kind", "argument",
                                            "required", !(cmd->args[k].flags & VN_ARG_OPTIONAL),
                                            "array", (cmd->args[k].flags & VN_ARG_REPEAT) != 0));
        }
        for (const vn_opt *op = cmd->opts; op->name; op++)
            if (!skipped_opt(op))
                json_array_append_new(ps, json_pack("{s:s, s:s, s:b, s:b}", "name", op->name + 2,
                                                    "kind", op->value ? "option" : "flag",
                                                    "required", (op->flags & VN_OPT_REQUIRED) != 0,
                                                    "array", (op->flags & VN_OPT_REPEAT) != 0));
        json_array_append_new(all, json_pack("{s:s, s:s, s:o}", "method", name, "summary",
                                             cmd->summary, "params", ps));
    }
    return response(id, all, NULL);
}

/* One call (an element of a batch, or the whole request). NULL for a
 * notification (no id), which is run but not answered. */
static json_t *call(vn_rpc_ctx *x, json_t *req)
{
    json_t *id = json_object_get(req, "id"), *params = json_object_get(req, "params");
    const char *method = json_string_value(json_object_get(req, "method"));
    if (!json_is_object(req) || !json_is_string(json_object_get(req, "jsonrpc")) ||
        strcmp(json_string_value(json_object_get(req, "jsonrpc")), "2.0") != 0 || !method ||
        (id && !json_is_string(id) && !json_is_integer(id) && !json_is_null(id)))
        return fail(json_is_object(req) ? id : NULL, VN_RPC_INVALID, "PROTO",
                    "not a JSON-RPC 2.0 call: it needs \"jsonrpc\": \"2.0\", a \"method\" "
                    "string and an id that is a string, a whole number or null");
    if (params && !json_is_object(params))
        return fail(id, VN_RPC_BAD_PARAMS, "INVAL", "params must be an object of named params");
    json_t *empty = json_object(), *r;
    if (!params) params = empty;
    const vn_cmd *cmd = find_method(method);
    if (strcmp(method, "subscribe") == 0) {
        if (!x->subscribe || !x->subscribe(x->ud))
            r = fail(id, VN_RPC_NO_METHOD, "NOTFOUND", "subscribe: this connection has no events");
        else
            r = response(id, json_pack("{s:b}", "subscribed", true), NULL);
    } else if (strcmp(method, "run") == 0) {
        r = method_run(x, params, id);
    } else if (strcmp(method, "exec") == 0) {
        r = method_exec(x, params, id);
    } else if (strcmp(method, "methods") == 0) {
        r = method_list(id);
    } else if (!cmd) {
        r = fail(id, VN_RPC_NO_METHOD, "NOTFOUND",
                 "no method \"%.64s\" (\"methods\" lists them; sub-commands as \"case.show\")",
                 method);
    } else {
        cmdline l = {0};
        r = build(cmd, params, id, &l);
        if (!r) r = run_method(x, cmd, &l, true, id, false);
        cmdline_free(&l);
    }
    json_decref(empty);
    if (!id) {
        json_decref(r);
        return NULL;
    }
    return r;
}

vn_err vn_rpc_handle(vn_rpc_ctx *x, const char *text, size_t len, char **reply)
{
    json_error_t e;
    json_t *out = NULL;
    *reply = NULL;
    json_t *req = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (!req) {
        char msg[300];
        snprintf(msg, sizeof msg, "not JSON: %s (at byte %d)", e.text, e.position);
        *reply = vn_rpc_error_text(VN_RPC_PARSE, "PROTO", msg);
        return *reply ? VN_OK : VN_ENOMEM;
    }
    if (json_is_array(req)) {
        size_t i, n = json_array_size(req);
        json_t *one;
        if (n == 0 || n > BATCH_MAX) {
            out = fail(NULL, VN_RPC_INVALID, n ? "TOOBIG" : "PROTO",
                       "a batch holds 1 to %d calls, not %zu", BATCH_MAX, n);
        } else {
            out = json_array();
            json_array_foreach(req, i, one)
            {
                json_t *r = call(x, one);
                if (r) json_array_append_new(out, r);
            }
            if (json_array_size(out) == 0) {
                json_decref(out);
                out = NULL;
            }
        }
    } else {
        out = call(x, req);
    }
    json_decref(req);
    if (out) {
        *reply = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(out);
        if (!*reply) return VN_ENOMEM;
    }
    return VN_OK;
}
