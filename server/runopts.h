/* The row type of the option table of `vangnetd run` (run_options in
 * main.c): the command line, the settings file, `vangnetd --help`,
 * `vangnetd config-example` and the manual pages are all written from
 * that one table (doc.c), so they cannot drift apart. */
#ifndef VN_RUNOPTS_H
#define VN_RUNOPTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

#endif
