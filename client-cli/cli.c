/* The command line's first reading (cli.h). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

const vn_opt vn_global_opts[VN_GLOBAL_COUNT + 1] = {
    [VN_GLOBAL_PROFILE] = {"--profile", "DIR", 0,
                           "the profile directory (default $VANGNET_PROFILE or ~/.vangnet)"},
    [VN_GLOBAL_JSON] = {"--json", NULL, 0,
                        "print JSON; errors as {\"error\": {\"code\", \"message\"}} on stderr"},
    [VN_GLOBAL_TIMEOUT] = {"--timeout", "SECONDS", 0,
                           "how long a server call may take, 1 to 3600 (default 10)"},
    [VN_GLOBAL_HELP] = {"--help", NULL, 0, "this help; COMMAND --help for one command"},
    [VN_GLOBAL_VERSION] = {"--version", NULL, 0, "print the version of vangnet and stop"},
    [VN_GLOBAL_COUNT] = {NULL, NULL, 0, NULL},
};

const vn_opt *vn_opt_find(const vn_opt *opts, const char *name)
{
    for (; opts->name; opts++)
        if (strcmp(opts->name, name) == 0) return opts;
    return NULL;
}

/* Takes the global option at argv[*i] (and its value, moving *i past it).
 * False if it is unknown or its value is missing. */
static bool take(vn_cli *l, int argc, char **argv, int *i, vn_cli_at at)
{
    const char *name = strcmp(argv[*i], "-h") == 0 ? "--help" : argv[*i];
    const vn_opt *opt = vn_opt_find(vn_global_opts, name);
    const char *v = NULL;
    if (!opt || (opt->value && *i + 1 >= argc)) {
        l->bad = name;
        l->bad_at = at;
        l->bad_value = opt != NULL;
        return false;
    }
    if (opt->value) v = argv[++*i];
    switch ((int)(opt - vn_global_opts)) {
    case VN_GLOBAL_PROFILE:
        l->profile = v;
        break;
    case VN_GLOBAL_JSON:
        l->json = true;
        break;
    case VN_GLOBAL_TIMEOUT:
        l->timeout = v;
        break;
    case VN_GLOBAL_HELP:
        if (!l->help) l->help = at;
        break;
    case VN_GLOBAL_VERSION:
        if (!l->version) l->version = at;
        break;
    }
    return true;
}

bool vn_cli_split(vn_cli *l, int argc, char **argv)
{
    bool dashdash = false;
    int i = 1;
    l->name = NULL;
    l->nrest = 0;
    for (; i < argc && argv[i][0] == '-'; i++)
        if (!take(l, argc, argv, &i, VN_CLI_BEFORE)) return false;
    if (i >= argc) return true;
    l->name = argv[i];
    for (i++; i < argc; i++) {
        bool global = !dashdash &&
                      (strcmp(argv[i], "-h") == 0 || vn_opt_find(vn_global_opts, argv[i]) != NULL);
        if (!global) {
            dashdash |= strcmp(argv[i], "--") == 0;
            l->rest[l->nrest++] = argv[i];
        } else if (!take(l, argc, argv, &i, VN_CLI_AFTER)) {
            return false;
        }
    }
    return true;
}

int vn_cli_term_cols(void)
{
    const char *env = getenv("COLUMNS");
    struct winsize ws;
    long cols = 0;
    if (env && *env) cols = strtol(env, NULL, 10);
    if (cols <= 0 && isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        cols = ws.ws_col;
    return cols > 0 && cols < 100000 ? (int)cols : 0;
}
