/* What `vangnetd config-example` and the manual pages say, written from
 * the option table of `vangnetd run` (runopts.h) at build time. */
#include "runopts.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CONF_PATH "/etc/vangnet/vangnetd.conf"

const char *vn_runopt_key(const run_option *o)
{
    return o->name + 2;
}

/* What the file holds for an option left at its default. */
static const char *example_value(const run_option *o)
{
    if (o->kind == OPT_FLAG) return "no";
    if (o->kind == OPT_COUNT) return "0";
    return o->def ? o->def : o->arg;
}

void vn_doc_config_example(FILE *f, const run_option *opts, size_t n)
{
    fputs("# " CONF_PATH ": settings of `vangnetd run` (see vangnetd.conf(5)).\n"
          "# Written by `vangnetd config-example` from the option table of vangnetd.\n"
          "#\n"
          "# Each key is an option of `vangnetd run` without its dashes, set as\n"
          "# key = value; an option on the command line wins over this file. Every\n"
          "# key below is commented out and shows its default: remove the # to\n"
          "# change it. An unknown key or a bad value stops vangnetd at start,\n"
          "# naming this file, the line and the key.\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const run_option *o = &opts[i];
        fprintf(f, "\n# %s", o->help);
        if (o->kind == OPT_FLAG) fputs(" (yes or no)", f);
        if (o->kind == OPT_COUNT) fputs(" (a number: how many times -v)", f);
        if (o->kind == OPT_CHOICE) fprintf(f, " (%s)", o->arg);
        if (!o->def && o->kind != OPT_FLAG && o->kind != OPT_COUNT)
            fputs(" (not set by default)", f);
        fprintf(f, "\n#%s = %s\n", vn_runopt_key(o), example_value(o));
    }
}

/* Text for roff: a leading dot or quote is escaped, and so is every
 * backslash and dash. */
static void roff(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'') fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

/* A block of preformatted lines (the usage text), escaped line by line. */
static void roff_lines(FILE *f, const char *text)
{
    fputs(".nf\n", f);
    const char *p = text;
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = strndup(p, len);
        if (!line) break;
        roff(f, line);
        fputc('\n', f);
        free(line);
        p += len + (eol ? 1 : 0);
    }
    fputs(".fi\n", f);
}

static void option_tp(FILE *f, const run_option *o, bool as_key)
{
    fputs(".TP\n", f);
    if (as_key) {
        fputs("\\fB", f);
        roff(f, vn_runopt_key(o));
        fputs("\\fR = \\fI", f);
        roff(f, o->kind == OPT_FLAG ? "yes|no" : o->kind == OPT_COUNT ? "N" : o->arg);
        fputs("\\fR\n", f);
    } else {
        fputs("\\fB", f);
        roff(f, o->name);
        if (o->alias) {
            fputs("\\fR, \\fB", f);
            roff(f, o->alias);
        }
        fputs("\\fR", f);
        if (o->arg) {
            fputs(" \\fI", f);
            roff(f, o->arg);
            fputs("\\fR", f);
        }
        fputc('\n', f);
    }
    roff(f, o->help);
    if (o->def) {
        fputs(" (default ", f);
        roff(f, o->def);
        fputc(')', f);
    }
    if (o->invalid) {
        fputs("; ", f);
        roff(f, o->invalid);
    }
    fputs(".\n", f);
}

static void header(FILE *f, const char *title, const char *name, int section, const char *what)
{
    fprintf(f,
            ".\\\" Written by `vangnetd doc` from the option table of vangnetd: do not edit.\n"
            ".TH %s %d \"\" \"Vangnet\" \"%s\"\n",
            title, section, section == 8 ? "System Administration" : "File Formats");
    fputs(".SH NAME\n", f);
    fprintf(f, "%s \\- %s\n", name, what);
}

void vn_doc_man8(FILE *f, const run_option *opts, size_t n, void (*usage)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *u = open_memstream(&text, &len);
    if (u) {
        usage(u);
        fclose(u);
    }
    header(f, "VANGNETD", "vangnetd", 8, "the Vangnet server");
    fputs(".SH SYNOPSIS\n"
          "\\fBvangnetd init\\fR \\-\\-state \\fIDIR\\fR \\-\\-store\\-key \\fIFILE\\fR\n"
          ".br\n"
          "\\fBvangnetd run\\fR \\-\\-state \\fIDIR\\fR [\\-\\-config \\fIFILE\\fR] "
          "[\\fIoptions\\fR]\n"
          ".br\n"
          "\\fBvangnetd\\fR \\fICOMMAND\\fR \\-\\-state \\fIDIR\\fR [\\fIoptions\\fR]\n"
          ".SH DESCRIPTION\n"
          "\\fBvangnetd\\fR serves the Vangnet end\\-to\\-end encrypted support messenger: "
          "a ZeroMQ ROUTER under CURVE in front of an LMDB store sealed at rest. It relays "
          "messages it cannot read, keeps case records, runs contracts and escalates alerts.\n"
          ".PP\n"
          "Every command but \\fBinit\\fR opens the store with the store key: "
          "\\fB\\-\\-store\\-key\\fR \\fIFILE\\fR, or by default the systemd credential "
          "\\fIvangnetd\\-store\\-key\\fR in \\fB$CREDENTIALS_DIRECTORY\\fR.\n"
          ".SH COMMANDS\n",
          f);
    if (text) roff_lines(f, text);
    free(text);
    fputs(".SH OPTIONS OF RUN\n"
          "Each option can also be set in the settings file (see \\fBvangnetd.conf\\fR(5)); "
          "the command line wins.\n"
          ".TP\n"
          "\\fB\\-\\-config\\fR \\fIFILE\\fR\n"
          "Read settings from \\fIFILE\\fR first. There is no implicit settings file: the "
          "systemd unit passes \\fB\\-\\-config " CONF_PATH "\\fR.\n",
          f);
    for (size_t i = 0; i < n; i++)
        option_tp(f, &opts[i], false);
    fputs(".SH LOGGING\n"
          "One line per event on standard error, at a level (\\fB\\-\\-log\\-level\\fR). Under "
          "systemd each line carries its syslog priority for journald. Lines name events and "
          "request names, never message content, an account, a case or a role; events about "
          "people (an SOS, an escalation) are counted and logged once an hour.\n"
          ".SH METRICS\n"
          "With \\fB\\-\\-metrics\\fR \\fIADDR\\fR, \\fBGET /metrics\\fR on that loopback "
          "address or UNIX socket answers Prometheus text: requests by request name and result, "
          "handling time, commits, store use, connections, rate\\-limit refusals, and the hourly "
          "counts of events about people. No label holds an account, a case or content.\n"
          ".SH FILES\n"
          ".TP\n\\fI" CONF_PATH "\\fR\nthe settings file of the systemd unit\n"
          ".TP\n\\fI/var/lib/vangnet\\fR\nthe state directory of the systemd unit (mode 0700)\n"
          ".TP\n\\fI/etc/credstore.encrypted/vangnetd\\-store\\-key\\fR\n"
          "the store key, sealed with \\fBsystemd\\-creds\\fR(1)\n"
          ".SH EXIT STATUS\n"
          "0 on success, 1 when the command failed (the message says why), 2 for a bad command "
          "line or settings file.\n"
          ".SH SEE ALSO\n"
          "\\fBvangnetd.conf\\fR(5), \\fBvangnet\\fR(1), \\fBsystemd\\-creds\\fR(1), "
          "\\fBsystemd.exec\\fR(5)\n",
          f);
}

void vn_doc_man5(FILE *f, const run_option *opts, size_t n)
{
    header(f, "VANGNETD.CONF", "vangnetd.conf", 5, "settings of the Vangnet server");
    fputs(".SH SYNOPSIS\n"
          "\\fI" CONF_PATH "\\fR\n"
          ".SH DESCRIPTION\n"
          "\\fBvangnetd run \\-\\-config\\fR \\fIFILE\\fR reads its settings from \\fIFILE\\fR: "
          "one \\fIkey\\fR = \\fIvalue\\fR a line, lines starting with \\fB#\\fR or \\fB;\\fR "
          "are comments, no sections. Each key is an option of \\fBvangnetd run\\fR without "
          "its dashes and takes the same values; an option given on the command line wins over "
          "the file. An unknown key, a key set twice or a bad value stops \\fBvangnetd\\fR at "
          "start with a message naming the file, the line and the key.\n"
          ".PP\n"
          "\\fBvangnetd config\\-example\\fR prints every key, commented out, with its default; "
          "the file the package installs is that output.\n"
          ".SH KEYS\n",
          f);
    for (size_t i = 0; i < n; i++)
        option_tp(f, &opts[i], true);
    fputs(".SH EXAMPLE\n"
          ".nf\n"
          "listen = tcp://0.0.0.0:7700\n"
          "metrics = 127.0.0.1:9477\n"
          "log\\-level = warn\n"
          ".fi\n"
          ".SH SEE ALSO\n"
          "\\fBvangnetd\\fR(8)\n",
          f);
}
