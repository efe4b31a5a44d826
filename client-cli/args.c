/* The command line of one command, read by its row of the command table.
 * Options are told apart from arguments by their leading "--" only, so an
 * argument such as a message text may start with a single dash. */
#include "args.h"
#include "vn/account.h"

#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* True if word is one of the |-separated choices. */
static bool is_choice(const char *choices, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = choices; *p;) {
        size_t len = strcspn(p, "|");
        if (len == n && strncmp(p, word, n) == 0) return true;
        p += len + (p[len] == '|');
    }
    return false;
}

/* Writes "NAME SUB: " into msg and returns where the rest goes. */
static size_t prefix(const vn_cmd *cmd, char *msg, size_t size)
{
    int n =
        snprintf(msg, size, "%s%s%s: ", cmd->name, cmd->sub ? " " : "", cmd->sub ? cmd->sub : "");
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static vn_err bad(const vn_cmd *cmd, char *msg, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static vn_err bad(const vn_cmd *cmd, char *msg, size_t size, const char *fmt, ...)
{
    size_t o = prefix(cmd, msg, size);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + o, size - o, fmt, ap);
    va_end(ap);
    return VN_EINVAL;
}

/* Reads one option (argv[*i], and its value if it takes one). */
static vn_err take_option(vn_args *a, int argc, char **argv, int *i, char *msg, size_t size)
{
    const vn_cmd *cmd = a->cmd;
    const vn_opt *opt = vn_opt_find(cmd->opts, argv[*i]);
    const char *v = "";
    if (!opt) return bad(cmd, msg, size, "unknown option %s", argv[*i]);
    if (opt->value) {
        if (*i + 1 >= argc)
            return bad(cmd, msg, size, "%s needs a value (%s)", opt->name, opt->value);
        v = argv[++*i];
        if ((opt->flags & VN_OPT_CHOICE) && !is_choice(opt->value, v))
            return bad(cmd, msg, size, "%s must be one of %s, not %s", opt->name, opt->value, v);
    }
    a->given[a->ngiven++] = (vn_given){opt, v};
    return VN_OK;
}

/* After reading: every required option given, the right number of
 * arguments, each one of its choices where it has them. */
static vn_err check(const vn_args *a, char *msg, size_t size)
{
    const vn_cmd *cmd = a->cmd;
    int nargs = 0, min = 0, max;
    for (const vn_opt *o = cmd->opts; o->name; o++)
        if ((o->flags & VN_OPT_REQUIRED) && !vn_args_has(a, o->name))
            return bad(cmd, msg, size, "%s%s%s is required", o->name, o->value ? " " : "",
                       o->value ? o->value : "");
    for (; nargs < VN_CMD_ARGS && cmd->args[nargs].name; nargs++)
        if (!(cmd->args[nargs].flags & VN_ARG_OPTIONAL)) min = nargs + 1;
    max = nargs > 0 && (cmd->args[nargs - 1].flags & VN_ARG_REPEAT) ? INT_MAX : nargs;
    if (a->npos < min) return bad(cmd, msg, size, "%s is missing", cmd->args[a->npos].name);
    if (a->npos > max) return bad(cmd, msg, size, "unexpected argument %s", a->pos[max]);
    for (int i = 0; i < a->npos; i++) {
        const vn_arg *g = &cmd->args[i < nargs ? i : nargs - 1];
        if ((g->flags & VN_ARG_CHOICE) && !is_choice(g->name, a->pos[i]))
            return bad(cmd, msg, size, "%s is not one of %s", a->pos[i], g->name);
    }
    return VN_OK;
}

vn_err vn_args_parse(vn_args *a, const vn_cmd *cmd, int argc, char **argv, char *msg, size_t size)
{
    bool options = true;
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    /* At most argc of either: no growth needed. */
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    a->given = calloc((size_t)argc + 1, sizeof *a->given);
    a->cases = calloc((size_t)argc + 1, sizeof *a->cases);
    if (!a->pos || !a->given || !a->cases) {
        vn_args_free(a);
        return VN_ENOMEM;
    }
    for (int i = 0; i < argc; i++) {
        vn_err err;
        if (options && strcmp(argv[i], "--") == 0)
            options = false;
        else if (options && strncmp(argv[i], "--", 2) == 0) {
            if ((err = take_option(a, argc, argv, &i, msg, size))) return err;
        } else
            a->pos[a->npos++] = argv[i];
    }
    return check(a, msg, size);
}

void vn_args_free(vn_args *a)
{
    free(a->pos);
    free(a->given);
    free(a->cases);
    a->cases = NULL;
    a->pos = NULL;
    a->given = NULL;
    a->npos = a->ngiven = 0;
}

/* The option's row in a's command; asking for one it lacks is a bug. */
static const vn_opt *declared(const vn_args *a, const char *opt)
{
    const vn_opt *o = vn_opt_find(a->cmd->opts, opt);
    assert(o && "option not declared in the command table");
    return o;
}

const char *vn_args_next(const vn_args *a, const char *opt, int *at)
{
    const vn_opt *o = declared(a, opt);
    for (; *at < a->ngiven; ++*at)
        if (a->given[*at].opt == o) return a->given[(*at)++].value;
    return NULL;
}

const char *vn_args_get(const vn_args *a, const char *opt)
{
    const char *v = NULL, *next;
    int at = 0;
    while ((next = vn_args_next(a, opt, &at)))
        v = next;
    return v;
}

bool vn_args_has(const vn_args *a, const char *opt)
{
    return vn_args_get(a, opt) != NULL;
}

const char *vn_args_pos(const vn_args *a, int i)
{
    return i >= 0 && i < a->npos ? a->pos[i] : NULL;
}

static int fail(vn_client *c, const vn_args *a, const char *fmt, va_list ap)
{
    char msg[512], syn[1024];
    size_t o = prefix(a->cmd, msg, sizeof msg);
    vsnprintf(msg + o, sizeof msg - o, fmt, ap);
    vn_commands_synopsis(a->cmd->name, a->cmd, syn, sizeof syn);
    return vn_client_fail_usage(c, "%s\n%s", msg, syn);
}

int vn_args_usage(vn_client *c, const vn_args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail(c, a, fmt, ap);
    va_end(ap);
    return rc;
}

int vn_args_invalid(vn_client *c, const vn_args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fail(c, a, fmt, ap);
    va_end(ap);
    return rc;
}

bool vn_args_case_ok(vn_client *c, const char *case_id, int *rc)
{
    if (vn_account_valid(case_id)) return true;
    *rc = vn_client_fail_usage(c, "%s is not a case id (32 hex characters)", case_id);
    return false;
}

/* Resolves *value in place when it is a handle; slot is the next free
 * copy in a->cases. */
static int resolve_one(vn_client *c, const vn_args *a, const char **value, int *slot)
{
    if (!*value || vn_account_valid(*value)) return EXIT_OK;
    int rc = vn_client_case_resolve(c, *value, a->cases[*slot]);
    if (rc) return rc;
    *value = a->cases[(*slot)++];
    return EXIT_OK;
}

int vn_args_resolve_cases(vn_client *c, const vn_args *a)
{
    int rc = EXIT_OK, slot = 0;
    const vn_cmd *cmd = a->cmd;
    /* Each given value takes at most one slot: there are as many as argv. */
    for (int i = 0; !rc && i < a->ngiven; i++)
        if (a->given[i].opt->value && strcmp(a->given[i].opt->value, "CASE") == 0)
            rc = resolve_one(c, a, &a->given[i].value, &slot);
    for (int i = 0; !rc && i < a->npos && i < VN_CMD_ARGS && cmd->args[i].name; i++)
        if (strcmp(cmd->args[i].name, "CASE") == 0) {
            const char *v = a->pos[i];
            rc = resolve_one(c, a, &v, &slot);
            a->pos[i] = (char *)v; /* one of a's own copies, or argv's string */
        }
    return rc;
}
