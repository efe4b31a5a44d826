/* The command line's first reading: the global options (before the
 * command, or after it up to a "--"), the command's name and its own
 * words. Shared by vangnet-full's main and by the thin vangnet (thin.c),
 * which must find the same profile from the same words before it knows
 * anything of the commands. libc only, and it prints nothing. */
#ifndef VN_CLI_H
#define VN_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* One option: a flag (--stdin) or an option with a value (--case CASE). */
typedef struct vn_opt {
    const char *name;  /* with its dashes: "--case" */
    const char *value; /* what the value is called ("CASE"); NULL for a flag */
    unsigned flags;    /* VN_OPT_* (commands.h) */
    const char *help;  /* one line */
} vn_opt;

/* The global options (before or after the command), by index. */
enum {
    VN_GLOBAL_PROFILE,
    VN_GLOBAL_JSON,
    VN_GLOBAL_TIMEOUT,
    VN_GLOBAL_HELP,
    VN_GLOBAL_VERSION,
    VN_GLOBAL_COUNT
};
extern const vn_opt vn_global_opts[VN_GLOBAL_COUNT + 1];

/* The option of that name in a list ending at a nameless one, or NULL. */
const vn_opt *vn_opt_find(const vn_opt *opts, const char *name);

/* Where a global option was seen: not at all, before the command's name,
 * or after it. Their order decides what an odd line means (--version
 * before an unknown command prints the version; after it, the command is
 * unknown). */
typedef enum { VN_CLI_NONE, VN_CLI_BEFORE, VN_CLI_AFTER } vn_cli_at;

typedef struct vn_cli {
    const char *profile; /* --profile's value, or NULL */
    const char *timeout; /* --timeout's value (unchecked), or NULL */
    bool json;           /* --json */
    vn_cli_at help;      /* --help or -h */
    vn_cli_at version;   /* --version */
    const char *name;    /* the command, or NULL when there is none */
    char **rest;         /* the command's own words: given by the caller, room for argc */
    int nrest;           /* how many */
    const char *bad;     /* the first option that was wrong (unknown, or without its value) */
    vn_cli_at bad_at;    /* where it was */
    bool bad_value;      /* it is known but its value is missing */
} vn_cli;

/* Reads argv[1..argc): fills l (whose rest the caller points at room for
 * argc words). Stops at the first wrong option (l->bad); returns false
 * then, true otherwise. */
bool vn_cli_split(vn_cli *l, int argc, char **argv);

/* The width of the terminal the output goes to: $COLUMNS, else the
 * terminal's own size when standard output is one; 0 when unknown. */
int vn_cli_term_cols(void);

#endif
