/* One command's command line, parsed by its row of the command table:
 * the options it was given, in order, and its positional arguments. */
#ifndef VN_ARGS_H
#define VN_ARGS_H

#include "commands.h"

/* One option as given. */
typedef struct vn_given {
    const vn_opt *opt; /* its row in the command's options */
    const char *value; /* its value ("" for a flag); borrowed from argv */
} vn_given;

struct vn_args {
    const vn_cmd *cmd; /* the row it was parsed for */
    char **pos;        /* positional arguments, in order; borrowed from argv */
    int npos;          /* how many */
    vn_given *given;   /* options, in command-line order */
    int ngiven;        /* how many */
    char (
        *cases)[33]; /* whole case ids that CASE values were resolved to (vn_args_resolve_cases) */
};

/* Parses argv (what follows the command and sub-command, global options
 * removed) for cmd into *a; free it with vn_args_free(). A bad command
 * line (unknown option, missing value or required option, a value not
 * among the choices, too few or too many arguments) is VN_EINVAL with what
 * was wrong in msg; VN_ENOMEM. Strings stay argv's. "--" ends options. */
vn_err vn_args_parse(vn_args *a, const vn_cmd *cmd, int argc, char **argv, char *msg, size_t size);
/* Safe on a zeroed or freed *a. */
void vn_args_free(vn_args *a);

/* The accessors take an option's name as the table spells it ("--case");
 * a name the row does not declare is a programmer error (assert). */

/* True if the option was given. */
bool vn_args_has(const vn_args *a, const char *opt);
/* The value of its last occurrence, or NULL if it was not given. */
const char *vn_args_get(const vn_args *a, const char *opt);
/* Its values in order (for VN_OPT_REPEAT): start with *at = 0; NULL after
 * the last. */
const char *vn_args_next(const vn_args *a, const char *opt, int *at);
/* Positional argument i, or NULL past the last. */
const char *vn_args_pos(const vn_args *a, int i);

/* A bad command line found by a handler: prints "NAME SUB: message" and
 * the command's usage, and returns EXIT_USAGE. */
int vn_args_usage(vn_client *c, const vn_args *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A value the command cannot read (a bad date, id, number): prints the
 * message and the command's usage, and returns EXIT_USAGE too: a bad
 * argument is a bad command line. */
int vn_args_invalid(vn_client *c, const vn_args *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Resolves every CASE of the command line (an option whose value is CASE,
 * an argument named CASE) that is a handle, not a whole id, into the case
 * id it names (vn_client_case_resolve), so that every command takes both;
 * the values then point at a's own copies. Returns the exit code of the
 * first that names no single case (said why), or 0. */
int vn_args_resolve_cases(vn_client *c, const vn_args *a);

/* True if case_id is a case id (32 hex characters); else says so and
 * sets *rc to the exit code. */
bool vn_args_case_ok(vn_client *c, const char *case_id, int *rc);

#endif
