/* The row type of the option table of `vangnetd run` (run_options in
 * runopts.c): the command line, the settings file, `vangnetd --help`,
 * `vangnetd config-example` and the manual pages are all written from
 * that one table (doc.c), so they cannot drift apart. */
#ifndef VN_RUNOPTS_H
#define VN_RUNOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "server.h"
#include "vn/err.h"
#include "vn/invite.h"

typedef enum opt_kind {
    OPT_SIZE,     /* a whole number into a size_t */
    OPT_MIB,      /* a number of MiB into a size_t of bytes */
    OPT_DURATION, /* a duration (s, m, h, d) into a uint64_t of milliseconds */
    OPT_DOUBLE,   /* a whole number into a double */
    OPT_STRING,   /* text of 1..max characters without spaces */
    OPT_FLAG,     /* no value: sets a bool */
    OPT_COUNT,    /* no value: counts into an int (repeatable) */
    OPT_CHOICE,   /* one of the |-separated words of arg, into a const char * */
} opt_kind;

typedef struct run_option {
    const char *name;  /* "--frame-max" */
    const char *alias; /* a short form, or NULL */
    opt_kind kind;
    size_t offset;       /* of the field in vn_server_config */
    uint64_t min, max;   /* bounds (ms for durations, MiB for OPT_MIB, length for text) */
    const char *def;     /* default, as a user would write it; NULL: none */
    const char *arg;     /* the value in the usage text */
    const char *help;    /* one line of usage */
    const char *invalid; /* "must be ..." for a bad value */
} run_option;

/* The key of an option in the settings file: its name without dashes. */
const char *vn_runopt_key(const run_option *o);

/* `vangnetd config-example`: every option as a commented key = default. */
void vn_doc_config_example(FILE *f, const run_option *opts, size_t n);
/* The manual pages, in roff: vangnetd(8) (with the usage text of every
 * command, written by usage) and vangnetd.conf(5). */
void vn_doc_man8(FILE *f, const run_option *opts, size_t n, void (*usage)(FILE *));
void vn_doc_man5(FILE *f, const run_option *opts, size_t n);

/* The command line of every vangnetd command (runopts.c). */

/* Room for the rows of the option table (checked where the table is). */
#define VN_RUN_OPTIONS_MAX 64

/* Options shared by the commands; each uses what it needs. The strings
 * point into argv. */
typedef struct vn_opts {
    const char *state, *role, *endpoint, *ttl, *case_id;
    const char *store_key; /* --store-key FILE, or NULL for the systemd credential */
    const char *new_key;   /* --new-key FILE of rekey */
    const char *config;    /* --config FILE of run */
    const char *per_hour;  /* --per-hour N of intake-code */
    bool json;
    bool force;                          /* --force of restore */
    const char *run[VN_RUN_OPTIONS_MAX]; /* values of the run options as given */
    int run_count[VN_RUN_OPTIONS_MAX];   /* how often a flag or count was given */
    const char *pos[4];                  /* positional arguments after the command */
    int npos;
    /* --endpoint and --public-endpoint given several times, joined with
     * commas (as one value with commas, or the settings file, has them). */
    char endpoint_list[VN_ENDPOINTS_TEXT_MAX];
    char public_list[VN_ENDPOINTS_TEXT_MAX];
} vn_opts;

/* The option table of `vangnetd run`, and its number of rows in n. */
const run_option *vn_runopts_table(size_t *n);

/* The usage text of every command, with the run options from the table. */
void vn_runopts_usage(FILE *f);

/* Prints an error naming what was wrong, plain or as JSON (--json), and
 * returns rc: the exit code (1 failed, 2 bad command line). */
int vn_runopts_die(bool json, int rc, vn_err code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parses argv[2..] into o (zeroed by the caller); --help prints the usage
 * and exits 0. Returns 0 or the exit code, after saying what was wrong. */
int vn_runopts_parse(int argc, char **argv, vn_opts *o);

/* Reads --config FILE into *file (NULL when none was given). Returns 0 or
 * the exit code. */
int vn_runopts_load_file(const vn_opts *o, vn_config **file);

/* Fills cfg from the defaults, then the settings file, then the options
 * given, naming the first bad one (with its file and line). cfg's strings
 * point into argv and into file, which must outlive cfg. Returns 0 or the
 * exit code. */
int vn_runopts_config(const vn_opts *o, const vn_config *file, vn_server_config *cfg);

/* Both of the above, for a command that needs only cfg's numbers (the
 * file is closed again, so cfg's strings from it are not to be used).
 * Returns 0 or the exit code. */
int vn_runopts_read(const vn_opts *o, vn_server_config *cfg);

/* The file in the state directory holding --public-endpoint while the
 * server runs with one (`vangnetd invite` reads it). */
#define VN_PUBLIC_ENDPOINT_FILE "public-endpoint"
/* Writes cfg's public endpoint into that file, or removes the file when
 * there is none. Returns 0 or the exit code (said why). */
int vn_runopts_publish_endpoint(const vn_server_config *cfg);

/* The file in the state directory holding --cluster while a node of a
 * cluster runs on it (the operator's commands read it), and its writer:
 * the file is removed when the server runs alone. Returns 0 or the exit
 * code (said why). */
#define VN_CLUSTER_FILE "cluster"
int vn_runopts_publish_cluster(const vn_server_config *cfg);

/* The cluster the store of an operator's command belongs to, into buf
 * (VN_CLUSTER_URLS_MAX + 1): --cluster, else `cluster =` of --config
 * FILE, else what a node running on --state published (VN_CLUSTER_FILE);
 * "" when none. Returns 0 or the exit code (said why). */
int vn_runopts_cluster(const vn_opts *o, char *buf, size_t size);
/* --snapshot-keep of the command line, else of --config FILE, else its
 * default, into *ms. Returns 0 or the exit code (said why). */
int vn_runopts_snapshot_keep(const vn_opts *o, uint64_t *ms);

#endif
